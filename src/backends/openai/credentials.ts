// fetch refuses URLs with user:password in them; those become Basic auth instead.

/** Splits user:password out of an endpoint URL (decoded), keeping the rest as the base URL. */
export function splitCredentials(endpoint: string): { url: string; username: string; password: string } {
  const url = new URL(endpoint);
  const username = safeDecode(url.username);
  const password = safeDecode(url.password);
  if (username === '' && password === '') return { url: endpoint, username, password };
  url.username = '';
  url.password = '';
  return { url: url.toString().replace(/\/+$/, ''), username, password };
}

/**
 * The Authorization header for a request to `target`: Bearer with an API key,
 * else Basic from the URL's user:password, else none.
 */
export function authorization(apiKey: string | undefined, target: { username: string; password: string }): string | undefined {
  if (apiKey) return `Bearer ${apiKey}`;
  if (target.username !== '' || target.password !== '') {
    return `Basic ${Buffer.from(`${target.username}:${target.password}`).toString('base64')}`;
  }
  return undefined;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
