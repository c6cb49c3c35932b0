// Runs the README's shell examples as a reader would: every ```sh block preceded by
// `<!-- readme-test: GROUP -->` (an HTML comment, invisible on GitHub), in document order, in one
// bash session, so each step can use what an earlier one captured. Each `curl` call's HTTP status
// is recorded and compared with the status the README states at the end of the command
// (`# → 201`); a command without one must answer 2xx. The first unexpected status stops the run.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export interface ReadmeBlock {
  /** 1-based line of the block's first line of code in README.md. */
  line: number;
  code: string[];
}

export interface CurlCall {
  readmeLine: number;
  command: string;
  expected: string;
  status: string;
}

export interface ReadmeRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  calls: CurlCall[];
  /** Commands that state a status but never ran. */
  notRun: { readmeLine: number; command: string }[];
}

const MARKER = /^<!--\s*readme-test:\s*(\S+)\s*-->\s*$/;
const EXPECTED = /#\s*→\s*(\d{3})\b/;

/** The code of every ```sh block marked for `group`, in document order. */
export function readmeBlocks(markdown: string, group: string): ReadmeBlock[] {
  const lines = markdown.split("\n");
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.match(MARKER)?.[1] !== group) continue;
    if (!/^```(sh|bash)\s*$/.test(lines[i + 1] ?? "")) throw new Error(`README.md:${i + 1}: the readme-test marker must sit right above a \`\`\`sh block`);
    const start = i + 2;
    const end = lines.indexOf("```", start);
    if (end < 0) throw new Error(`README.md:${i + 2}: unterminated code block`);
    blocks.push({ line: start + 1, code: lines.slice(start, end) });
    i = end;
  }
  return blocks;
}

/**
 * One logical command per line of the script: lines joined by a trailing backslash form one
 * command (bash reports either of its lines as the caller), and the status it is expected to
 * answer is stated on any of them.
 */
function commandsOf(lines: { text: string; readmeLine: number }[]) {
  const byLine: { command: string; readmeLine: number; expected?: string }[] = [];
  for (let i = 0; i < lines.length; ) {
    let j = i;
    while (lines[j]!.text.endsWith("\\") && j + 1 < lines.length) j++;
    const group = lines.slice(i, j + 1);
    const command = {
      command: group.map((l) => l.text.trim()).join(" "),
      readmeLine: group[0]!.readmeLine,
      expected: group.map((l) => l.text.match(EXPECTED)?.[1]).find(Boolean),
    };
    for (let k = i; k <= j; k++) byLine[k] = command;
    i = j + 1;
  }
  return byLine;
}

const PREAMBLE = (statusLog: string, expectations: string[]) => `
set -euo pipefail
command -v jq > /dev/null || { echo "the README examples need jq (apt-get install jq, brew install jq)" >&2; exit 1; }
declare -A EXPECT=(${expectations.join(" ")})
curl() {
  local line=\${BASH_LINENO[0]} headers rc=0 status
  headers=$(mktemp)
  command curl -D "$headers" "$@" || rc=$?
  status=$(awk '/^HTTP\\//{ s = $2 } END { print s }' "$headers")
  rm -f "$headers"
  echo "$line \${status:-none}" >> ${JSON.stringify(statusLog)}
  local want=\${EXPECT[$line]:-2xx}
  if [[ "$want" == 2xx && "$status" != 2?? ]] || [[ "$want" != 2xx && "$status" != "$want" ]]; then
    echo "README example: HTTP \${status:-none} where $want was expected (script line $line)" >&2
    kill -TERM $$
  fi
  return $rc
}
`;

/**
 * Runs the `group` blocks of README.md with bash in `cwd`, after replacing each `replace` key by
 * its value (the origins the README names by their default ports).
 */
export async function runReadmeExamples(
  readmePath: string,
  group: string,
  options: { cwd: string; env: NodeJS.ProcessEnv; replace: Record<string, string>; timeoutMs: number },
): Promise<ReadmeRun> {
  const blocks = readmeBlocks(await readFile(readmePath, "utf8"), group);
  if (blocks.length === 0) throw new Error(`README.md has no block marked <!-- readme-test: ${group} -->`);
  const lines = blocks.flatMap((block) =>
    block.code.map((text, i) => ({
      readmeLine: block.line + i,
      text: Object.entries(options.replace).reduce((t, [from, to]) => t.replaceAll(from, to), text),
    })),
  );
  const tmp = await mkdtemp(path.join(os.tmpdir(), "readme-examples-"));
  try {
    const statusLog = path.join(tmp, "statuses");
    await writeFile(statusLog, "");
    const commands = commandsOf(lines);
    const preambleFor = (offset: number) =>
      PREAMBLE(
        statusLog,
        commands.flatMap((c, i) => (c.expected ? [`[${i + 1 + offset}]=${c.expected}`] : [])),
      );
    // The preamble's own length shifts the script's line numbers; it does not depend on them.
    const offset = preambleFor(0).split("\n").length - 1;
    const script = preambleFor(offset) + lines.map((l) => l.text).join("\n") + "\n";
    const scriptPath = path.join(tmp, "examples.sh");
    await writeFile(scriptPath, script);

    const child = spawn("bash", [scriptPath], { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n(README examples stopped after ${options.timeoutMs} ms)`;
      child.kill("SIGKILL");
    }, options.timeoutMs);
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (code, signal) => resolve(code ?? (signal ? 128 + os.constants.signals[signal] : null)));
    });
    clearTimeout(timer);

    // Name README lines, not lines of the generated script.
    stderr = stderr.replace(/script line (\d+)/g, (text, line: string) => {
      const command = commands[Number(line) - 1 - offset];
      return command ? `README.md:${command.readmeLine}` : text;
    });
    const calls = (await readFile(statusLog, "utf8"))
      .split("\n")
      .filter(Boolean)
      .map((entry) => {
        const [line, status] = entry.split(" ");
        const command = commands[Number(line) - 1 - offset];
        if (!command) throw new Error(`curl reported from script line ${line}, outside the README's code`);
        return { readmeLine: command.readmeLine, command: command.command, expected: command.expected ?? "2xx", status: status! };
      });
    const ran = new Set(calls.map((c) => c.readmeLine));
    const notRun = [...new Set(commands.filter((c) => c.expected && !ran.has(c.readmeLine)))].map(({ readmeLine, command }) => ({ readmeLine, command }));
    return { exitCode, stdout, stderr, calls, notRun };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
