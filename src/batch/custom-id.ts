// A request's custom_id is its answer's cache key: the job's fingerprint and the image's key
// (a file's sha256, or a page's identity), so a result line says by itself where it belongs.

const CUSTOM_ID = /^([0-9a-f]{32})-([0-9a-f]{64})$/;

export function customId(job: string, key: string): string {
  return `${job}-${key}`;
}

/** The job and key of a custom_id, or undefined when it is not one of ours. */
export function parseCustomId(id: string): { job: string; key: string } | undefined {
  const match = CUSTOM_ID.exec(id);
  return match ? { job: match[1] as string, key: match[2] as string } : undefined;
}
