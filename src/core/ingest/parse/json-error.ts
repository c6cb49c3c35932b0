/**
 * Where a record's bytes stop being JSON, for the error message of a file that `JSON.parse`
 * refused: the runtime's parser is fast but its messages give a position in UTF-16 code units
 * of the decoded text, or none at all ("Unexpected token"). Only ever run on a record already
 * refused, so it favours plain code over speed. Follows RFC 8259, and the WHATWG UTF-8 decoder
 * for the bytes of strings (what `TextDecoder` with `fatal: true` refuses).
 */

/** The first problem in a record: its byte offset in the record, and what is wrong there. */
export interface JsonProblem {
  offset: number;
  problem: string;
}

/** `'x'` for printable ASCII, else the byte in hex: how an error message shows a byte. */
export const describeByte = (b: number | undefined, end = "the end of the record") =>
  b === undefined ? end : b > 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}'` : `byte 0x${b.toString(16).padStart(2, "0")}`;

const isWhitespace = (b: number | undefined) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
const isDigit = (b: number | undefined) => b !== undefined && b >= 0x30 && b <= 0x39;
const isHex = (b: number | undefined) => b !== undefined && ((b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x66));
const ESCAPES = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]);

/** Length of the valid UTF-8 sequence at `i`, or 0 if it is not one. */
function utf8Sequence(bytes: Uint8Array, i: number): number {
  const lead = bytes[i]!;
  const cont = (k: number, low = 0x80, high = 0xbf) => {
    const b = bytes[i + k];
    return b !== undefined && b >= low && b <= high;
  };
  if (lead >= 0xc2 && lead <= 0xdf) return cont(1) ? 2 : 0;
  if (lead >= 0xe0 && lead <= 0xef) {
    const [low, high] = lead === 0xe0 ? [0xa0, 0xbf] : lead === 0xed ? [0x80, 0x9f] : [0x80, 0xbf];
    return cont(1, low, high) && cont(2) ? 3 : 0;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    const [low, high] = lead === 0xf0 ? [0x90, 0xbf] : lead === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    return cont(1, low, high) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

const enum State {
  Value,
  ValueOrClose,
  Key,
  KeyOrClose,
  Colon,
  After,
}

/** The first problem in `bytes` as one JSON value, or null if it is valid JSON. */
export function findJsonProblem(bytes: Uint8Array): JsonProblem | null {
  const n = bytes.length;
  /** Open containers: 0x7b `{` or 0x5b `[`. */
  const stack: number[] = [];
  let i = 0;
  let state = State.Value;
  const problem = (text: string): JsonProblem => ({ offset: i, problem: `${text}, found ${describeByte(bytes[i])}` });

  /** A string at `i` (its opening quote); returns a problem, or null with `i` after it. */
  const string = (): JsonProblem | null => {
    i++;
    for (;;) {
      const b = bytes[i];
      if (b === undefined) return problem("expected the string to end with '\"'");
      if (b === 0x22) {
        i++;
        return null;
      }
      if (b === 0x5c) {
        const e = bytes[i + 1];
        if (e === 0x75) {
          for (let k = 2; k < 6; k++) {
            if (!isHex(bytes[i + k])) {
              i += k;
              return problem("expected 4 hex digits after '\\u'");
            }
          }
          i += 6;
        } else if (e !== undefined && ESCAPES.has(e)) {
          i += 2;
        } else {
          i++;
          return problem("expected an escape (one of \" \\ / b f n r t u) after '\\'");
        }
      } else if (b < 0x20) {
        return problem("expected a string character (control characters must be escaped)");
      } else if (b >= 0x80) {
        const length = utf8Sequence(bytes, i);
        if (length === 0) return { offset: i, problem: "not UTF-8 text" };
        i += length;
      } else {
        i++;
      }
    }
  };

  /** A number at `i`; returns a problem, or null with `i` after it. */
  const number = (): JsonProblem | null => {
    if (bytes[i] === 0x2d) i++;
    if (bytes[i] === 0x30) i++;
    else if (isDigit(bytes[i])) while (isDigit(bytes[i])) i++;
    else return problem("expected a digit");
    if (bytes[i] === 0x2e) {
      i++;
      if (!isDigit(bytes[i])) return problem("expected a digit after '.'");
      while (isDigit(bytes[i])) i++;
    }
    if (bytes[i] === 0x65 || bytes[i] === 0x45) {
      i++;
      if (bytes[i] === 0x2b || bytes[i] === 0x2d) i++;
      if (!isDigit(bytes[i])) return problem("expected a digit in the exponent");
      while (isDigit(bytes[i])) i++;
    }
    return null;
  };

  const literal = (word: string): JsonProblem | null => {
    for (let k = 0; k < word.length; k++, i++) {
      if (bytes[i] !== word.charCodeAt(k)) return problem(`expected '${word}'`);
    }
    return null;
  };

  for (;;) {
    while (isWhitespace(bytes[i])) i++;
    const b = bytes[i];
    switch (state) {
      case State.Value:
      case State.ValueOrClose: {
        if (state === State.ValueOrClose && b === 0x5d) {
          stack.pop();
          i++;
          state = State.After;
          break;
        }
        let found: JsonProblem | null = null;
        if (b === 0x7b || b === 0x5b) {
          stack.push(b);
          i++;
          state = b === 0x7b ? State.KeyOrClose : State.ValueOrClose;
          break;
        }
        if (b === 0x22) found = string();
        else if (b === 0x2d || isDigit(b)) found = number();
        else if (b === 0x74) found = literal("true");
        else if (b === 0x66) found = literal("false");
        else if (b === 0x6e) found = literal("null");
        else return problem("expected a value");
        if (found) return found;
        state = State.After;
        break;
      }
      case State.KeyOrClose:
      case State.Key: {
        if (state === State.KeyOrClose && b === 0x7d) {
          stack.pop();
          i++;
          state = State.After;
          break;
        }
        if (b !== 0x22) return problem("expected a property name in '\"'");
        const found = string();
        if (found) return found;
        state = State.Colon;
        break;
      }
      case State.Colon:
        if (b !== 0x3a) return problem("expected ':' after a property name");
        i++;
        state = State.Value;
        break;
      case State.After: {
        const open = stack[stack.length - 1];
        if (open === undefined) return i === n ? null : problem("expected the end of the record");
        const close = open === 0x7b ? 0x7d : 0x5d;
        if (b === 0x2c) {
          i++;
          state = open === 0x7b ? State.Key : State.Value;
        } else if (b === close) {
          stack.pop();
          i++;
        } else {
          return problem(open === 0x7b ? "expected ',' or '}' after a property value" : "expected ',' or ']' after an array element");
        }
        break;
      }
    }
  }
}
