import JSZip from 'jszip';

/**
 * A zip (deflated) of `files`, each under the folder `top` (UbiOps' CLI puts a package under
 * `environment_package/`); `null` puts the names as they are.
 */
export async function zipOf(
  files: Record<string, string | Uint8Array>,
  top: string | null = 'environment_package',
): Promise<Buffer> {
  const zip = new JSZip();
  for (const [name, content] of Object.entries(files)) {
    zip.file(top ? `${top}/${name}` : name, content);
  }
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}
