// Masks IBANs in what the citizen typed before the browser keeps it (the transcript in
// sessionStorage and its download). A port of the server's finder (rules/iban.py find_all and
// mask_all), which the payment form uses to take an IBAN: the same separators, the same runs,
// the same near-miss rule. tests/webchat/test_iban_finder_js.py runs this file in Node over the
// server's generated corpus and the country table below, and fails when the two disagree.
// Kept in JavaScript rather than asked of the server, because the transcript and the offline
// outbox live in the browser even while it has no connection.

// IBAN lengths per country (python-stdnum's registry, as rules/iban.py expected_length).
export const LENGTHS = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 
  28, CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, 
  FI: 18, FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HN: 28, HR: 
  21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, 
  LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 
  31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, 
  RS: 22, RU: 33, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 
  28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20, YE: 30
};
// Letters the account part may hold per country (rules/iban.py letters_allowed).
export const LETTERS = {
  AD: 12, AE: 0, AL: 16, AT: 0, AZ: 24, BA: 0, BE: 0, BG: 12, BH: 18, BI: 0, BR: 2, BY: 20, CH:
  12, CR: 0, CY: 16, CZ: 0, DE: 0, DJ: 0, DK: 0, DO: 4, EE: 0, EG: 0, ES: 0, FI: 0, FK: 2, FO: 0,
  FR: 11, GB: 4, GE: 2, GI: 19, GL: 0, GR: 16, GT: 24, HN: 4, HR: 0, HU: 0, IE: 4, IL: 0, IQ: 4,
  IS: 0, IT: 13, JO: 22, KW: 26, KZ: 13, LB: 20, LC: 28, LI: 12, LT: 0, LU: 13, LV: 17, LY: 0, MC:
  11, MD: 20, ME: 0, MK: 10, MN: 0, MR: 0, MT: 22, MU: 7, NI: 4, NL: 4, NO: 0, OM: 16, PK: 20, PL:
  0, PS: 25, PT: 0, QA: 25, RO: 20, RS: 0, RU: 15, SA: 18, SC: 7, SD: 0, SE: 0, SI: 0, SK: 0, SM:
  13, SO: 0, ST: 0, SV: 4, TL: 0, TN: 0, TR: 16, UA: 19, VA: 0, VG: 4, XK: 0, YE: 22
};
// rules/iban.py SEPARATORS, written out (JavaScript's \s is another set than Python's).
export const SEPARATORS =
  "\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000" +
  "\\u00ad\\u200b-\\u200d\\u2060\\ufeff.\\-\\u2010-\\u2015\\u2212/";
const SEPARATOR = new RegExp(`[${SEPARATORS}]`, "g");
const GAP = new RegExp(`^[${SEPARATORS}]*$`);
const TOKEN = /[A-Za-z0-9]+/g;
const MAX_LENGTH = 34;
const LENGTH_TOLERANCE = 3;
const MIN_LENGTH = 12;
const MIN_ACCOUNT_DIGITS = 6;
const EXTRA_LETTERS = 1; // "O" for "0"; a hex id holds several

export function compact(value) {
  return String(value).replace(SEPARATOR, "").toUpperCase();
}

function mod97(number) {
  const moved = number.slice(4) + number.slice(0, 4);
  let rest = 0;
  for (const char of moved) {
    const value = char >= "A" && char <= "Z" ? String(char.charCodeAt(0) - 55) : char;
    for (const digit of value) rest = (rest * 10 + Number(digit)) % 97;
  }
  return rest;
}

// Country, length and check digits hold (the server also checks the account's structure and
// national check digits; a number passing only these is masked as a near miss there).
function checksOut(number) {
  return LENGTHS[number.slice(0, 2)] === number.length && /^[A-Z]{2}[0-9]{2}/.test(number) && mod97(number) === 1;
}

function looksLike(number) {
  const length = LENGTHS[number.slice(0, 2)];
  if (!length || Math.abs(number.length - length) > LENGTH_TOLERANCE) return false;
  if (number.slice(4).replace(/[^A-Z]/g, "").length > LETTERS[number.slice(0, 2)] + EXTRA_LETTERS) return false;
  return number.slice(4).replace(/[^0-9]/g, "").length >= MIN_ACCOUNT_DIGITS;
}

function foundAt(text, tokens, first) {
  const [start, end] = tokens[first];
  if (!/[A-Za-z]/.test(text[start]) || end - start > MAX_LENGTH + LENGTH_TOLERANCE) return null;
  const run = [tokens[first]];
  let length = end - start;
  for (const token of tokens.slice(first + 1)) {
    if (!GAP.test(text.slice(run[run.length - 1][1], token[0]))) break;
    length += token[1] - token[0];
    if (length > MAX_LENGTH + LENGTH_TOLERANCE) break;
    run.push(token);
  }
  const parts = run.map(([a, b]) => text.slice(a, b).toUpperCase());
  const head = parts.join("").slice(0, 4);
  if (!/^[A-Z]{2}[0-9]{2}$/.test(head)) return null;
  const strict = end - start >= 4;
  const prefixes = parts.map((_, count) => parts.slice(0, count + 1).join(""));
  for (let count = parts.length - 1; count >= 0; count -= 1) {
    if (prefixes[count].length >= MIN_LENGTH && checksOut(prefixes[count])) {
      return { start, end: run[count][1], number: prefixes[count], next: first + count + 1 };
    }
  }
  if (!strict) return null;
  for (let count = parts.length - 1; count >= 0; count -= 1) {
    const number = prefixes[count];
    if (/[0-9]/.test(parts[count]) && number.length >= MIN_LENGTH && looksLike(number)) {
      return { start, end: run[count][1], number, next: first + count + 1 };
    }
  }
  return null;
}

export function findAll(text) {
  const tokens = Array.from(String(text).matchAll(TOKEN), (m) => [m.index, m.index + m[0].length]);
  const found = [];
  let index = 0;
  while (index < tokens.length) {
    const hit = foundAt(text, tokens, index);
    if (hit === null) {
      index += 1;
    } else {
      found.push(hit);
      index = hit.next;
    }
  }
  return found;
}

// rules/iban.py mask(): country code, check digits and the last four characters stay.
export function mask(number) {
  const masked =
    number.length <= 8 ? "*".repeat(number.length) : number.slice(0, 4) + "*".repeat(number.length - 8) + number.slice(-4);
  return masked.match(/.{1,4}/g).join(" ");
}

export function maskIbans(text) {
  let current = String(text);
  for (;;) {
    const found = findAll(current);
    if (found.length === 0) return current;
    let result = "";
    let last = 0;
    for (const item of found) {
      result += current.slice(last, item.start) + mask(item.number);
      last = item.end;
    }
    current = result + current.slice(last);
  }
}
