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

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
