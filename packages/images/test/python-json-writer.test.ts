import { describe, expect, it } from 'vitest';
import { formatJson, type JsonObject } from '../src/crit-json/python-json.js';
import { KeySet, PythonJsonWriter } from '../src/crit-json/python-json-writer.js';

/** A writer handing its text to a sink in pieces of `piece` bytes, and what the sink got. */
function streaming(piece: number, indent?: number): { writer: PythonJsonWriter; text: () => string } {
  const parts: string[] = [];
  const writer = new PythonJsonWriter(indent, piece, (bytes) => parts.push(Buffer.from(bytes).toString('latin1')));
  return { writer, text: () => parts.join('') };
}

describe('PythonJsonWriter', () => {
  it('rewind takes back what followed the mark, also after the sink was handed pieces since', () => {
    const { writer, text } = streaming(8, 4);
    writer.beginArray();
    writer.item();
    writer.string('kept');
    writer.mark();
    writer.item();
    writer.beginObject();
    writer.key('taken back');
    writer.string('a value long enough to fill several pieces of the sink');
    writer.rewind();
    writer.item();
    writer.integer(2);
    writer.endArray();
    writer.flush();
    expect(text()).toBe(JSON.stringify(['kept', 2], null, 4));
  });

  it('copyMarked writes again text written since the mark, also after the sink was handed pieces since', () => {
    const { writer, text } = streaming(8, 4);
    writer.beginArray();
    writer.item();
    writer.string('before the mark');
    writer.mark();
    writer.item();
    const start = writer.sinceMark();
    writer.beginObject();
    writer.key('repeated');
    writer.string('long enough to be handed over in pieces');
    writer.endObject();
    const end = writer.sinceMark();
    writer.item();
    writer.copyMarked(start, end);
    writer.endArray();
    writer.flush();
    const item = { repeated: 'long enough to be handed over in pieces' };
    expect(text()).toBe(JSON.stringify(['before the mark', item, item], null, 4));
  });

  it('nextObjectItem closes an object and opens the next, empty or not, indented or not', () => {
    const items: JsonObject[] = [{ a: 1 }, {}, { b: [2] }, {}];
    for (const indent of [undefined, 4]) {
      const writer = new PythonJsonWriter(indent);
      writer.beginObject();
      writer.key('items');
      writer.beginArray();
      items.forEach((item, index) => {
        if (index === 0) {
          writer.item();
          writer.beginObject();
        } else writer.nextObjectItem();
        for (const [key, value] of Object.entries(item)) {
          writer.key(key);
          writer.value(value);
        }
      });
      writer.endObject();
      writer.endArray();
      writer.endObject();
      expect(writer.text()).toBe(formatJson({ items }, indent));
    }
  });

  it('a KeySet serves writers of different indentation', () => {
    const keys = new KeySet(['a', undefined, 'b']);
    const write = (indent?: number) => {
      const writer = new PythonJsonWriter(indent);
      writer.beginObject();
      writer.keyOf(keys, 0);
      writer.integer(1);
      writer.keyOf(keys, 2);
      writer.integer(2);
      writer.endObject();
      return writer.text();
    };
    expect(write()).toBe('{"a": 1, "b": 2}');
    expect(write(4)).toBe('{\n    "a": 1,\n    "b": 2\n}');
    expect(write(2)).toBe('{\n  "a": 1,\n  "b": 2\n}');
    expect(write()).toBe('{"a": 1, "b": 2}');
  });

  it('escapes strings and keys as Python does with ensure_ascii', () => {
    const writer = new PythonJsonWriter();
    writer.beginObject();
    writer.keyOf(new KeySet(['caf\u00e9']), 0);
    writer.string('tab\t "q" \\ \u{1f600}\u0001');
    writer.endObject();
    expect(writer.text()).toBe('{"caf\\u00e9": "tab\\t \\"q\\" \\\\ \\ud83d\\ude00\\u0001"}');
  });

  it('writes integers up to 2^53 and u64 words exactly', () => {
    const writer = new PythonJsonWriter();
    writer.beginArray();
    for (const value of [0, 9, 2 ** 31, 2 ** 32 - 1, 2 ** 53 - 1, 18446744073709551615n]) {
      writer.item();
      writer.integer(value);
    }
    writer.item();
    writer.uint64Words(0x1fffff, 0xffffffff);
    for (let twice = 0; twice < 2; twice++) {
      writer.item();
      writer.uint64Words(0xffffffff, 0xffffffff);
    }
    writer.item();
    writer.uint64Words(0x200000, 0);
    writer.item();
    writer.hexWords(0xffffffff, 0x1);
    writer.item();
    writer.hexWords(0, 0xabc);
    // a low word may come as a signed int32, as WireReader.varint64Low gives it
    writer.item();
    writer.uint64Words(1, -1);
    writer.item();
    writer.hexWords(0, -2);
    writer.endArray();
    expect(writer.text()).toBe(
      '[0, 9, 2147483648, 4294967295, 9007199254740991, 18446744073709551615, 9007199254740991, 18446744073709551615, 18446744073709551615, 9007199254740992, "0xffffffff00000001", "0xabc", 8589934591, "0xfffffffe"]',
    );
  });

  it('hands the sink a small first piece, then full ones, and the text whole', () => {
    const parts: string[] = [];
    const writer = new PythonJsonWriter(4, 1 << 16, (bytes) => parts.push(Buffer.from(bytes).toString('latin1')));
    const values = Array.from({ length: 20_000 }, (_, i) => i * 7919);
    writer.beginArray();
    for (const value of values) {
      writer.item();
      writer.integer(value);
    }
    writer.endArray();
    writer.flush();
    expect(parts[0].length).toBeLessThanOrEqual(4096);
    expect(parts[1].length).toBeGreaterThan(4096);
    expect(parts.join('')).toBe(JSON.stringify(values, null, 4));
  });
});
