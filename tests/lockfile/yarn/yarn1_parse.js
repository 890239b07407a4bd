// Yarn 1's own lockfile reader as an oracle: `node yarn1_parse.js CLI_JS [--strict] < in.json`
// reads a JSON array of texts and prints, for each, {"ok": true, "type": "success"|"merge"|
// "conflict", "object": ...} or {"ok": false, "error": "..."}.  It loads Yarn's bundled cli.js
// with the lockfile-parse module (webpack id found by its text) as the entry point instead of
// the CLI.
"use strict";
const fs = require("fs");
const Module = require("module");
const cli = process.argv[2];
let src = fs.readFileSync(cli, "utf8");
const marker = src.indexOf("function* tokenise(input)");
let id = null;
for (const m of src.slice(0, marker).matchAll(/\n\/\* (\d+) \*\/\n/g)) id = m[1];
src = src.replace(/__webpack_require__\.s = \d+\)/, `__webpack_require__.s = ${id})`);
if (process.argv[3] === "--strict") {
  // Yarn's grammar alone: no YAML fallback, and stopping before the end is an error.
  src = src.replace("} catch (error1) {", "} catch (error1) { throw error1;");
  src = src.replace(
    "return parser.parse();",
    "var parsed = parser.parse(); if (parser.token.type !== 'EOF') throw new Error('stopped early'); return parsed;",
  );
}
const m = new Module(cli, null);
m.filename = cli;
m.paths = Module._nodeModulePaths(require("path").dirname(cli));
m._compile(src, cli);
const parse = m.exports.default;
// stdin: a JSON array of lockfile texts; stdout: a JSON array of results.
const inputs = JSON.parse(fs.readFileSync(0, "utf8"));
const out = inputs.map((input) => {
  try {
    const result = parse(input, "yarn.lock");
    return { ok: true, type: result.type, object: result.object };
  } catch (err) {
    return { ok: false, error: String(err && err.message) };
  }
});
process.stdout.write(JSON.stringify(out));
