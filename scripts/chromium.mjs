// Debian's Chromium driven by playwright-core. Never `npx playwright install`: it downloads a browser build, which
// these machines cannot fetch. Install the browser with `apt-get install -y chromium`.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.UBIOPS_CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox', // root in a container: Chromium's sandbox needs user namespaces it does not get
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const VIEWPORT = { width: 1280, height: 800 };

function checkInstalled() {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `No Chromium at ${CHROMIUM_PATH}: install Debian's with "apt-get install -y chromium" (or set UBIOPS_CHROMIUM_PATH).`,
    );
  }
}

/** A headless Chromium with a fresh profile (playwright makes a temp --user-data-dir and removes it on close). */
export async function launchChromium({ headless = true } = {}) {
  checkInstalled();
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless });
}

/** The same, as a server that test processes join with `chromium.connect(wsEndpoint)`. */
export async function launchChromiumServer({ headless = true } = {}) {
  checkInstalled();
  return chromium.launchServer({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless });
}
