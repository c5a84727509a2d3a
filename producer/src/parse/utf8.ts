const strict = new TextDecoder('utf-8', { fatal: true });
const lossy = new TextDecoder('utf-8');

/** The bytes as text; undefined when they are not valid UTF-8. */
export function strictUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}

/** The bytes as text, each invalid sequence replaced by U+FFFD. */
export function lossyUtf8(bytes: Uint8Array): string {
  return lossy.decode(bytes);
}
