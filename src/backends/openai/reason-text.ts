// Network reasons in the reader's language. The backend keeps them in English (a failed file's
// `error` column is data, the same in every locale); stderr shows them translated.
import { t, type MessageKey } from '../../i18n/index.js';

const REASONS: Record<string, MessageKey> = {
  'connection refused': 'server:net.connection_refused',
  'connection reset': 'server:net.connection_reset',
  'connection aborted': 'server:net.connection_aborted',
  'connection closed': 'server:net.connection_closed',
  'host not found': 'server:net.host_not_found',
  'host unreachable': 'server:net.host_unreachable',
  'network unreachable': 'server:net.network_unreachable',
  'connect timed out': 'server:net.connect_timeout',
  'no response headers in time': 'server:net.headers_timeout',
  'response body stalled': 'server:net.body_stalled',
  'socket closed': 'server:net.socket_closed',
  'socket hang up': 'server:net.socket_hang_up',
  'fetch failed': 'server:net.fetch_failed',
  'bad port': 'server:net.bad_port',
  unreachable: 'server:net.unreachable',
};

/** A reason from describeNetworkError (or "no answer within 60 s") for people; other text as it is. */
export function reasonText(reason: string): string {
  const key = REASONS[reason];
  if (key !== undefined) return t(key);
  const within = /^no answer within (.+)$/.exec(reason);
  return within ? t('server:net.no_answer', { time: within[1] }) : reason;
}
