/**
 * The subset of Python's `%` string formatting crit's explorers use: %s, %d, %x and %#x with an
 * optional `-` flag and width, and `0` padding for numbers.
 */
export function pyFormat(format: string, ...args: unknown[]): string {
  let next = 0;
  return format.replace(/%([-0#]*)(\d*)l?([sdx%])/g, (_match, flags: string, width: string, conversion: string) => {
    if (conversion === '%') return '%';
    const value = args[next++];
    let text: string;
    if (conversion === 's') text = String(value);
    else {
      const number = BigInt(value as number | bigint);
      const negative = number < 0n;
      const magnitude = negative ? -number : number;
      text = conversion === 'd' ? magnitude.toString() : magnitude.toString(16);
      if (conversion === 'x' && flags.includes('#')) text = '0x' + text;
      const size = Number(width || 0);
      if (flags.includes('0') && !flags.includes('-') && text.length + (negative ? 1 : 0) < size) {
        text = text.padStart(size - (negative ? 1 : 0), '0');
      }
      if (negative) text = '-' + text;
    }
    const size = Number(width || 0);
    return flags.includes('-') ? text.padEnd(size) : text.padStart(size);
  });
}
