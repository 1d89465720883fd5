import type { Readable, Writable } from 'node:stream';

/** Everything the CLI touches outside itself, so tests can run it in-process. */
export interface CliIO {
  stdin: Readable;
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** The pause before a model hub retry; tests inject one that does not wait. */
  sleep?: (ms: number) => Promise<void>;
}
