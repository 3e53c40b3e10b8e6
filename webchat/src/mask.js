// Masks IBAN-shaped text the citizen typed, as the tracker store does on the server
// (bot/redaction.py): country code, check digits and the last four characters stay.
const IBAN_SHAPE =
  /(?<![A-Za-z0-9])[A-Za-z]{2} ?\d{2}(?:[ .-]?[A-Za-z0-9]{4}){2,7}(?:[ .-]?[A-Za-z0-9]{1,4})?(?![A-Za-z0-9])/g;
const MIN_LENGTH = 12; // the shortest IBAN (Norway, 15) minus a few mistyped characters
const MAX_LENGTH = 37;

function maskOne(candidate) {
  const compact = candidate.replace(/[ .-]/g, "").toUpperCase();
  const digits = compact.slice(4).replace(/[^0-9]/g, "").length;
  if (compact.length < MIN_LENGTH || compact.length > MAX_LENGTH || digits < 6) {
    return candidate;
  }
  const hidden = compact.length - 8;
  const masked = compact.slice(0, 4) + "*".repeat(hidden) + compact.slice(-4);
  return masked.match(/.{1,4}/g).join(" ");
}

export function maskIbans(text) {
  return String(text).replace(IBAN_SHAPE, maskOne);
}
