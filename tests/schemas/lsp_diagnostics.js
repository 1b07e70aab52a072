// tests/e2e/doc_schemas.sh: what an editor shows for a recipe, from the schemas `roux doc schemas` wrote.
const { spawn } = require('child_process');
const fs = require('fs');
// Prints the diagnostics a real yaml-language-server publishes for one YAML file, as LINE:COL MESSAGE
// (1-based), then exits 0; prints "no diagnostics" and exits 0 when none come within 15 s.
// Usage: node lsp_diagnostics.js SERVER_JS FILE   (SERVER_JS: .../yaml-language-server/bin/yaml-language-server)
const server = process.argv[2];
const file = process.argv[3];
const p = spawn(process.execPath, [server, '--stdio']);
let buf = Buffer.alloc(0), id = 0;
function send(m) { const s = JSON.stringify(Object.assign({ jsonrpc: '2.0' }, m)); p.stdin.write(`Content-Length: ${Buffer.byteLength(s)}\r\n\r\n${s}`); }
p.stdout.on('data', d => {
  buf = Buffer.concat([buf, d]);
  for (;;) {
    const h = buf.indexOf('\r\n\r\n'); if (h < 0) return;
    const len = +/Content-Length: (\d+)/.exec(buf.slice(0, h).toString())[1];
    if (buf.length < h + 4 + len) return;
    const msg = JSON.parse(buf.slice(h + 4, h + 4 + len).toString()); buf = buf.slice(h + 4 + len);
    if (msg.method === 'workspace/configuration') send({ id: msg.id, result: msg.params.items.map(() => ({ validate: true, schemas: {} })) });
    else if (msg.id !== undefined && msg.method) send({ id: msg.id, result: null });
    if (msg.method === 'textDocument/publishDiagnostics' && msg.params.diagnostics.length) {
      for (const d of msg.params.diagnostics) console.log(`${d.range.start.line + 1}:${d.range.start.character + 1} ${d.message.replace(/\n/g, ' ')}`);
      process.exit(0);
    }
  }
});
send({ id: ++id, method: 'initialize', params: { processId: null, rootUri: null, capabilities: { workspace: { configuration: true } } } });
send({ method: 'initialized', params: {} });
send({ method: 'workspace/didChangeConfiguration', params: { settings: { yaml: { validate: true, schemaStore: { enable: false } } } } });
send({ method: 'textDocument/didOpen', params: { textDocument: { uri: 'file://' + file, languageId: 'yaml', version: 1, text: fs.readFileSync(file, 'utf8') } } });
setTimeout(() => { console.log('no diagnostics'); process.exit(0); }, 15000);
