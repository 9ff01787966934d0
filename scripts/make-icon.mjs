// Renders media/icon.png, the 128×128 Marketplace icon (which must be a PNG), from the view's media/ubiops.svg:
// its layers in white on a coloured rounded square, drawn by Debian's Chromium. Run it after changing the SVG:
//   node scripts/make-icon.mjs
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from './chromium.mjs';
import { ROOT } from './vscode-server.mjs';

const BACKGROUND = '#2b3f8c';
const paths = [...readFileSync(join(ROOT, 'media', 'ubiops.svg'), 'utf8').matchAll(/<path\b[^>]*\/>/g)].map(([p]) => p);
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 24 24">
  <rect x="0" y="0" width="24" height="24" rx="5" fill="${BACKGROUND}"/>
  <g transform="translate(2.4 2.4) scale(0.8)" fill="none" stroke="#ffffff" stroke-width="1.6" stroke-linejoin="round">
    ${paths.join('\n    ')}
  </g>
</svg>`;

const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 128, height: 128 } });
  await page.setContent(`<html><body style="margin:0;background:transparent">${svg}</body></html>`);
  await page.locator('svg').screenshot({ path: join(ROOT, 'media', 'icon.png'), omitBackground: true });
} finally {
  await browser.close();
}
process.stdout.write('media/icon.png written\n');
