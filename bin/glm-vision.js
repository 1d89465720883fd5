#!/usr/bin/env node
import module from 'node:module';

// Node 22.1+ keeps compiled code between runs (in the OS temp folder; NODE_DISABLE_COMPILE_CACHE=1
// turns it off), which saves much of a short command's start. Node 20 has no such cache.
module.enableCompileCache?.();
// Imported only now, so that the cache is on when main.js and its imports are compiled.
const { main } = await import('../dist/cli/main.js');

process.exitCode = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
