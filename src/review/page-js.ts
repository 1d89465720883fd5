// /app.js: the five parts of the page's script in one strict function scope (no globals, nothing
// inline, so the CSP can say script-src 'self' and nothing more).
import { CLIENT_ACTIONS } from './client-actions.js';
import { CLIENT_CORE } from './client-core.js';
import { CLIENT_DETAIL } from './client-detail.js';
import { CLIENT_KEYS } from './client-keys.js';
import { CLIENT_LIST } from './client-list.js';

export const REVIEW_JS = `(() => {\n'use strict';\n${CLIENT_CORE}${CLIENT_LIST}${CLIENT_DETAIL}${CLIENT_ACTIONS}${CLIENT_KEYS}})();\n`;
