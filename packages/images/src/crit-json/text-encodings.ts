/** The byte-to-text encodings crit uses for bytes fields and payloads. */

/** Python's `base64.encodebytes`: lines of at most 76 characters, each ending in "\n". */
export function base64Lines(bytes: Uint8Array): string {
  const flat = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
  let out = '';
  for (let i = 0; i < flat.length; i += 76) out += flat.slice(i, i + 76) + '\n';
  return out;
}

export function fromBase64Lines(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}

const MAX_LINE = 76;

/**
 * Python's `quopri.encodestring` (binascii.b2a_qp with quotetabs=False): the text form crit
 * uses for unix socket names, which may hold NUL bytes (abstract names) and any other byte.
 */
export function quotedPrintable(data: Uint8Array): string {
  let out = '';
  let lineLength = 0;
  const hex = (byte: number) => '=' + byte.toString(16).toUpperCase().padStart(2, '0');
  for (let i = 0; i < data.length; i++) {
    const c = data[i];
    const last = i + 1 === data.length;
    const next = last ? -1 : data[i + 1];
    const lineEndsHere = last || next === 0x0a || next === 0x0d || next === 0;
    const mustQuote =
      c > 126 ||
      c === 0x3d ||
      (c === 0x2e && lineLength === 0 && lineEndsHere) ||
      ((c === 0x09 || c === 0x20) && last) ||
      (c < 33 && c !== 0x0d && c !== 0x0a && c !== 0x09 && c !== 0x20);
    if (mustQuote) {
      if (lineLength + 3 >= MAX_LINE) {
        out += '=\n';
        lineLength = 0;
      }
      out += hex(c);
      lineLength += 3;
    } else if (c === 0x0a || (c === 0x0d && next === 0x0a)) {
      // trailing white space before a line break is quoted so it survives transport
      const tail = out.charCodeAt(out.length - 1);
      if (lineLength > 0 && (tail === 0x20 || tail === 0x09)) out = out.slice(0, -1) + hex(tail);
      if (c === 0x0d) {
        out += '\r\n';
        i++;
      } else out += '\n';
      lineLength = 0;
    } else {
      if (!last && next !== 0x0a && lineLength + 1 >= MAX_LINE) {
        out += '=\n';
        lineLength = 0;
      }
      out += String.fromCharCode(c);
      lineLength += 1;
    }
  }
  return out;
}

/** Python's `quopri.decodestring` (binascii.a2b_qp). */
export function fromQuotedPrintable(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch !== '=') {
      out.push(text.charCodeAt(i) & 0xff);
      continue;
    }
    if (text[i + 1] === '\n') {
      i += 1; // soft line break
    } else if (text[i + 1] === '\r' && text[i + 2] === '\n') {
      i += 2;
    } else if (/^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      out.push(0x3d);
    }
  }
  return new Uint8Array(out);
}
