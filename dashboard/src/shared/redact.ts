/**
 * Removes what could be a secret from a message before it is sent to the page: the password of any
 * `scheme://user:password@host` URL, and `password=…` / `token=…` pairs. Pure.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]*@/gi, '$1:***@')
    .replace(/\b(password|passwd|pwd|token|secret)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&]+)/gi, '$1$2***')
    .replace(/\bxox[abpsr]-[A-Za-z0-9-]+/g, 'xox?-***');
}
