// Reads a --metrics-file back with the reference parser (Debian's python3-prometheus-client),
// not with our own code.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseMetrics(text: string): Sample[] {
  const script = [
    'import json, sys',
    'from prometheus_client.parser import text_string_to_metric_families',
    'out = [{"name": s.name, "labels": s.labels, "value": s.value}',
    '       for f in text_string_to_metric_families(sys.stdin.read()) for s in f.samples]',
    'print(json.dumps(out))',
  ].join('\n');
  const py = spawnSync('/usr/bin/python3', ['-c', script], { input: text, encoding: 'utf8' });
  assert.equal(py.status, 0, `the Prometheus parser rejected the metrics file: ${py.stderr}\n${text}`);
  return JSON.parse(py.stdout) as Sample[];
}

export function metric(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.find((s) => s.name === `glm_vision_${name}` && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return found?.value;
}

export async function readMetrics(file: string): Promise<Sample[]> {
  return parseMetrics(await readFile(file, 'utf8'));
}

