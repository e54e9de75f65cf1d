/**
 * Subjects that machines put on auto-replies and non-delivery reports, in
 * the languages mail servers and clients localise them to. A subject is
 * written by whoever sends the message, so these are the weakest signals.
 */

/**
 * Longest part of a subject matched. Real subjects are short; the cap
 * bounds the regex work a megabyte of subject could cause.
 */
export const MAX_SUBJECT_CHARS_MATCHED = 1000;

/** Prefixes that mail clients put before the subject they answer. */
const REPLY_PREFIX = String.raw`(?:(?:re|aw|sv|vs|wg|fw|fwd|tr|rv|ref|antw)\s*:\s*)*`;

/**
 * Phrases of auto-replies and out-of-office notices, matched anywhere in
 * the subject (some clients append them: "Re: Invoice (Automatic
 * Response)").
 */
const AUTO_REPLY_PHRASES = [
  // English
  'automatic reply',
  'automatic response',
  'auto[- ]?reply',
  'auto[- ]?response',
  'auto[- ]?responder',
  'out of (?:the )?office',
  'away from (?:the )?office',
  'on vacation',
  'vacation reply',
  // German, Dutch, Scandinavian, Finnish
  'automatische antwort',
  'abwesenheitsnotiz',
  'automatisch antwoord',
  'afwezigheidsbericht',
  'autosvar',
  'automaattinen vastaus',
  // Romance languages
  'r[ée]ponse automatique',
  'absent(?:e)? du bureau',
  'respuesta autom[áa]tica',
  'fuera de la oficina',
  'risposta automatica',
  'fuori ufficio',
  'resposta autom[áa]tica',
  'fora do escrit[óo]rio',
  // Central and Eastern Europe
  'automatyczna odpowied[źz]',
  'automatick[áa] odpov[ěe][ďd]',
  'automatikus v[áa]lasz',
  'автоматический ответ',
  'автоответ',
  'otomatik yan[ıi]t',
  // East Asia
  '自動応答',
  '自動返信',
  '自动回复',
  '自動回覆',
  '자동 응답',
].join('|');

const AUTO_REPLY_SUBJECT = new RegExp(
  `(?:^${REPLY_PREFIX}auto\\s*:)|(?:${AUTO_REPLY_PHRASES})`,
  'iu',
);

/**
 * Openings of non-delivery and delay reports. Only the start of the
 * subject is matched: "Re: undeliverable parcel" from a customer must not
 * look like a bounce.
 */
const BOUNCE_OPENINGS = [
  // English, including the usual MTA wordings
  'undeliverable',
  'undelivered mail',
  'undeliverable mail',
  'returned mail',
  'failure notice',
  'delivery status notification \\((?:failure|delay)\\)',
  'delivery (?:failure|has failed|failed|problem)',
  'delivery notification: delivery has failed',
  'mail delivery (?:failed|failure|problem)',
  'non[- ]?delivery',
  'nondeliverable',
  'mail system error',
  'delayed mail',
  'warning: could not send message',
  'message (?:not delivered|delivery failure)',
  // Other languages (Exchange and common MTAs)
  'unzustellbar',
  'nicht zustellbar',
  'onbestelbaar',
  'non recapitabile',
  'non remis',
  'impossible de remettre',
  'no se puede entregar',
  'não é possível entregar',
  'olevererbart',
  'kan ikke leveres',
  'nie można dostarczyć',
  'ваше сообщение не доставлено',
  'недоставленное сообщение',
].join('|');

const BOUNCE_SUBJECT = new RegExp(`^\\s*(?:${BOUNCE_OPENINGS})`, 'iu');

/**
 * Tells whether a subject reads like an auto-reply or out-of-office notice.
 *
 * @param subject the decoded subject
 * @returns true for e.g. "Automatic reply: …", "AUTO: …", "Abwesenheitsnotiz"
 */
export function isAutoReplySubject(subject: string): boolean {
  return AUTO_REPLY_SUBJECT.test(subject.slice(0, MAX_SUBJECT_CHARS_MATCHED));
}

/**
 * Tells whether a subject reads like a non-delivery or delay report.
 *
 * @param subject the decoded subject
 * @returns true for e.g. "Undeliverable: …", "Returned mail: …"
 */
export function isBounceSubject(subject: string): boolean {
  return BOUNCE_SUBJECT.test(subject.slice(0, MAX_SUBJECT_CHARS_MATCHED));
}
