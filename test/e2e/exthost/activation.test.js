// Runs inside the extension host with the project (package.json at the root, main
// ./dist/extension.js from `npm run build`) as the extension under development.
const assert = require('node:assert/strict');
const vscode = require('vscode');

const EXTENSION_ID = 'linear-lens.linear-lens';
const COMMAND = 'linearLens.showHostInfo';

describe('Linear Lens activation (extension host)', function () {
  this.timeout(60_000);

  function extension() {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not loaded as the extension under development`);
    return ext;
  }

  it('contributes "Linear Lens: Show Compute Host Info"', function () {
    const commands = extension().packageJSON.contributes?.commands ?? [];
    const cmd = commands.find((c) => c.command === COMMAND);
    assert.ok(cmd, `package.json does not contribute ${COMMAND}`);
    assert.equal(cmd.category, 'Linear Lens');
    assert.equal(cmd.title, 'Show Compute Host Info');
  });

  it('activates without throwing', async function () {
    const ext = extension();
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  it(`registers ${COMMAND}`, async function () {
    await extension().activate();
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes(COMMAND), `${COMMAND} is not registered after activation`);
  });
});
