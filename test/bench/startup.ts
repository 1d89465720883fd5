// Start-up: how long `glm-vision --version` takes beside a bare `node -e 0`,
// and (for information) `--help` and `config --no-config`. Each round runs all
// four once, one after the other, so a busy moment on the machine hits every
// command alike; the figures are medians over the rounds.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { BIN } from '../helpers/cli.js';
import { childEnv, type BenchContext } from './context.js';
import { check, runTimed } from './proc.js';
import { fmt, judge, median } from './report.js';

/** Rounds at least: each command takes 0.1–1 s, so a median of 3 would be noisy. */
export const STARTUP_MIN_ROUNDS = 15;
export const STARTUP_RATIO_TARGET = 1.5;

interface Command {
  id: string;
  label: string;
  args: string[];
}

const BASELINE: Command = { id: 'node', label: 'node -e 0', args: ['-e', '0'] };
const COMMANDS: Command[] = [
  { id: 'version', label: 'glm-vision --version', args: [BIN, '--version'] },
  { id: 'help', label: 'glm-vision --help', args: [BIN, '--help'] },
  { id: 'config', label: 'glm-vision config --no-config', args: [BIN, 'config', '--no-config'] },
];

export async function startupTime(ctx: BenchContext): Promise<void> {
  const { report, log } = ctx;
  const rounds = Math.max(ctx.runs, STARTUP_MIN_ROUNDS);
  // An empty folder with no config file anywhere above it that matters (--no-config anyway), and HOME = scratch.
  const cwd = path.join(ctx.scratch, 'startup-empty');
  await mkdir(cwd, { recursive: true });
  const all = [BASELINE, ...COMMANDS];
  const walls = new Map<string, number[]>(all.map((c) => [c.id, []]));
  const once = async (c: Command): Promise<number> => {
    const r = check(c.label, await runTimed(process.execPath, c.args, { cwd, env: childEnv(ctx), timeoutMs: 60_000 }));
    if (c.id !== 'node' && r.stdout.trim() === '') throw new Error(`${c.label} printed nothing`);
    return r.wallMs / 1000;
  };

  log(`startup: ${rounds} rounds of ${all.map((c) => c.label).join(', ')} (after one untimed warm-up round) ...`);
  for (const c of all) await once(c); // Warm the page cache for node, dist/ and node_modules/.
  for (let round = 0; round < rounds; round++) {
    for (const c of all) walls.get(c.id)?.push(await once(c));
  }

  const base = walls.get(BASELINE.id) ?? [];
  const baseMedian = median(base);
  log(`  node -e 0: median ${fmt(baseMedian * 1000, 0)} ms`);
  report.measures.push({
    id: 'startup.node', measure: `startup: node -e 0, wall (median of ${rounds})`, value: baseMedian * 1000, unit: 'ms',
    display: `${fmt(baseMedian * 1000, 0)} ms`, target: '-', verdict: '-', runs: base.map((s) => s * 1000),
  });
  for (const c of COMMANDS) {
    const mine = walls.get(c.id) ?? [];
    const m = median(mine);
    const ratio = m / baseMedian;
    log(`  ${c.label}: median ${fmt(m * 1000, 0)} ms, ${fmt(ratio)}× node -e 0`);
    const gated = c.id === 'version';
    report.measures.push(
      {
        id: `startup.${c.id}`, measure: `startup: ${c.label}, wall (median of ${rounds})`, value: m * 1000, unit: 'ms',
        display: `${fmt(m * 1000, 0)} ms`, target: '-', verdict: '-', runs: mine.map((s) => s * 1000),
      },
      {
        id: `startup.${c.id}.ratio`, measure: `startup: ${c.label} / node -e 0${gated ? '' : ' (info)'}`, value: ratio, unit: '×',
        display: `${fmt(ratio)}×`, target: gated ? `<= ${STARTUP_RATIO_TARGET}×` : '-',
        verdict: gated ? judge(ratio, '<=', STARTUP_RATIO_TARGET) : '-',
      },
    );
  }
  report.notes.push(
    `startup: wall time from spawn to exit of \`node bin/glm-vision.js --version\`, \`--help\` and \`config --no-config\` ` +
      `beside \`node -e 0\` (the same node binary), in an empty temporary folder with HOME set to the bench's scratch folder; ` +
      `one untimed warm-up round, then ${rounds} rounds running the four in turn; each figure is the median over the rounds ` +
      `and each ratio is a median over node -e 0's median. No RSS wrapper: GNU time would add its own start-up.`,
  );
}
