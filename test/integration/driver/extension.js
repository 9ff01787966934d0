// The test driver: what `extensionTestsPath` is to @vscode/test-electron, for code-server. run.mjs copies this
// folder into the extensions dir of a throwaway code-server, next to a development copy of the extension under
// test that holds the bundled suite, and sets in code-server's environment (which the extension host inherits):
//   UBIOPS_INTEGRATION_EXTENSION  the id of the extension under test;
//   UBIOPS_INTEGRATION_SUITE      the suite's entry inside that extension's folder (out/integration/index.js);
//   UBIOPS_INTEGRATION_RESULTS    a folder for `started` and, at the end, `result.json`;
//   UBIOPS_INTEGRATION_OUTPUT     where the suite writes its mocha report (see test/integration/index.ts).
// Once the workbench has started, this runs the suite's run() in the extension host, as test-electron does.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vscode = require('vscode');

exports.activate = function activate() {
  const dir = process.env.UBIOPS_INTEGRATION_RESULTS;
  if (!dir || fs.existsSync(path.join(dir, 'started'))) return; // not a test run, or the host was restarted
  fs.writeFileSync(path.join(dir, 'started'), `${process.pid}\n`);
  setTimeout(() => void runSuite(dir), 0);
};

exports.deactivate = function deactivate() {};

async function runSuite(dir) {
  let result;
  try {
    const id = process.env.UBIOPS_INTEGRATION_EXTENSION;
    const extension = vscode.extensions.getExtension(id);
    if (!extension) throw new Error(`the extension under test, ${id}, is not installed`);
    const suite = path.join(extension.extensionPath, process.env.UBIOPS_INTEGRATION_SUITE);
    await require(suite).run();
    result = { ok: true };
  } catch (err) {
    result = { ok: false, error: err instanceof Error ? err.message : String(err), stack: err?.stack };
  }
  fs.writeFileSync(path.join(dir, 'result.json.partial'), JSON.stringify(result));
  fs.renameSync(path.join(dir, 'result.json.partial'), path.join(dir, 'result.json'));
}
