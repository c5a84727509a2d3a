/**
 * Removes the password from a connection URL so it can be logged or printed.
 * `postgres://app:s3cret@127.0.0.1:5432/sales` → `postgres://app:***@127.0.0.1:5432/sales`.
 * A string that is not a URL is returned unchanged.
 */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return value;
  }
}
