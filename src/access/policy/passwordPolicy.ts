/**
 * Password policy in the NCSC style: long enough, not absurdly long, not on a list of passwords
 * attackers try first, not built from words that belong to this user or this service — and no
 * composition rules (they push people to predictable patterns like "Password1!").
 */

export interface PasswordPolicyOptions {
  /** NCSC suggests at least 12 characters where there is no other throttling-independent control. */
  readonly minLength?: number;
  readonly maxLength?: number;
  /** Replaces the default service words ('nhs', 'password', the service name…). */
  readonly serviceWords?: readonly string[];
  /** Replaces the embedded list of common passwords. */
  readonly denyList?: ReadonlySet<string>;
}

export interface PasswordContext {
  readonly username?: string;
  /** The person's name and other words about them; each word of it is a context word. */
  readonly displayName?: string;
  readonly extraWords?: readonly string[];
}

export type PasswordProblemCode = 'too-short' | 'too-long' | 'common-password' | 'contains-context-word' | 'repetitive';

export type PasswordCheck = { ok: true } | { ok: false; code: PasswordProblemCode; message: string };

export const DEFAULT_MIN_LENGTH = 12;
export const DEFAULT_MAX_LENGTH = 128;

export const DEFAULT_SERVICE_WORDS: readonly string[] = [
  'nhs', 'password', 'passw0rd', 'onehealthandcare', 'one health and care', 'healthandcare', 'ohc',
  'sharedcarerecord', 'carerecord', 'staffordshire', 'stoke', 'welcome', 'letmein', 'changeme',
];

/** Some of the most common passwords in public breach corpora (lower case). */
export const COMMON_PASSWORDS: ReadonlySet<string> = new Set([
  '123456', '123456789', '12345', 'qwerty', 'password', '12345678', '111111', '123123', '1234567890',
  '1234567', 'qwerty123', '000000', '1q2w3e', 'aa12345678', 'abc123', 'password1', '1234', 'qwertyuiop',
  '123321', 'password123', '1q2w3e4r5t', 'iloveyou', '654321', '666666', '987654321', '123', '123456a',
  'qwe123', '1q2w3e4r', '7777777', '1qaz2wsx', '123qwe', 'zxcvbnm', '121212', 'asdasd', 'a123456',
  '555555', 'dragon', '112233', '123123123', 'monkey', '11111111', 'qazwsx', '159753', 'asdfghjkl',
  '222222', '1234qwer', 'qwerty1', '123654', '123abc', 'asdfgh', '777777', 'aaaaaa', 'myspace1',
  '88888888', 'fuckyou', '123456789a', '999999', '888888', 'football', 'princess', 'sunshine', 'shadow',
  'master', 'baseball', 'superman', 'michael', 'charlie', 'jennifer', 'jordan', 'hunter', 'trustno1',
  'letmein', 'welcome', 'welcome1', 'welcome123', 'login', 'admin', 'admin123', 'administrator', 'root',
  'passw0rd', 'p@ssw0rd', 'p@ssword', 'pass123', 'pass1234', 'password12', 'password1234', 'password!',
  'changeme', 'secret', 'whatever', 'freedom', 'starwars', 'batman', 'pokemon', 'cheese', 'computer',
  'internet', 'liverpool', 'chelsea', 'arsenal', 'manchester', 'football1', 'soccer', 'hockey', 'killer',
  'ninja', 'mustang', 'access', 'flower', 'hello', 'hello123', 'hellohello', 'love', 'lovely', 'loveme',
  'iloveyou1', 'iloveu', 'babygirl', 'angel', 'angels', 'summer', 'winter', 'spring', 'autumn',
  'monday', 'friday', 'january', 'september', 'october', 'december', 'london', 'england', 'britain',
  'chocolate', 'cookie', 'banana', 'orange', 'purple', 'yellow', 'silver', 'golden', 'diamond',
  'matrix', 'google', 'apple', 'samsung', 'nothing', 'qwertyui', 'qwerty12', 'qwerty123456',
  'azerty', 'asdf', 'asdf1234', 'zaq12wsx', 'zxcvbn', 'zxcvbnm123', '1qazxsw2', 'qweasdzxc',
  '147258369', '741852963', '159357', '0123456789', '12341234', '11223344', '123456123456',
  '696969', '101010', '131313', '202020', '232323', '00000000', '12344321', '1111111111',
  'abcdef', 'abcd1234', 'abc12345', 'abcdefg', 'abcdefgh', 'abcdefghijkl', 'temp', 'temp123',
  'test', 'test123', 'test1234', 'testing', 'guest', 'user', 'default', 'system', 'security',
  'qwertyuiop123', 'iloveyou123', 'letmein123', 'trustno1234', 'mypassword', 'newpassword',
  'yourpassword', 'thepassword', 'nopassword', 'blink182', 'jessica', 'ashley', 'daniel', 'thomas',
  'robert', 'andrew', 'joshua', 'matthew', 'anthony', 'william', 'oliver', 'harry', 'george',
  'jack', 'charlotte', 'sophie', 'emily', 'jasmine', 'nicole', 'tigger', 'buster', 'pepper',
  'ginger', 'maggie', 'bailey', 'lucky', 'peanut', 'snoopy', 'dolphin', 'butterfly', 'sunflower',
  'rainbow', 'internet1', 'midnight', 'qwerty1234', 'q1w2e3r4', 'q1w2e3r4t5y6', 'a1b2c3d4',
  'correcthorsebatterystaple', 'nhs123', 'nhspassword', 'hospital', 'doctor', 'nurse', 'health',
]);

// Letters people substitute to dress up a word; mapping them back finds "P@55w0rd" on the list.
const LEET: Readonly<Record<string, string>> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', '$': 's', '!': 'i' };

function deLeet(s: string): string {
  let out = '';
  for (const ch of s) out += LEET[ch] ?? ch;
  return out;
}

/** Lower case, leading and trailing digits and symbols removed: the word a decorated password is built on. */
function core(password: string): string {
  return password.toLowerCase().replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '');
}

function lettersOnly(s: string): string {
  return s.replace(/[^\p{L}]/gu, '');
}

function contextWords(context: PasswordContext, serviceWords: readonly string[]): string[] {
  const words = [...serviceWords];
  if (context.username) words.push(context.username, ...context.username.split(/[^\p{L}\p{N}]+/u));
  if (context.displayName) words.push(...context.displayName.split(/[^\p{L}\p{N}]+/u));
  if (context.extraWords) words.push(...context.extraWords);
  return [...new Set(words.map((w) => lettersOnly(deLeet(w.toLowerCase()))).filter((w) => w.length >= 3))]
    // Longest first, so removing "onehealthandcare" happens before "health" could split it.
    .sort((a, b) => b.length - a.length);
}

function isRepetitive(password: string): boolean {
  const chars = [...password.toLowerCase()];
  if (new Set(chars).size <= 2) return true;
  // A short block repeated ("abcabcabcabc", "passpasspass") adds length without adding guesses.
  for (let size = 1; size <= Math.floor(chars.length / 3); size++) {
    if (chars.length % size !== 0) continue;
    const block = chars.slice(0, size).join('');
    if (block.repeat(chars.length / size) === chars.join('')) return true;
  }
  // Runs along the alphabet or the digits ("abcdefghijkl", "234567890123").
  let run = 1;
  for (let i = 1; i < chars.length; i++) {
    const step = (chars[i]?.codePointAt(0) ?? 0) - (chars[i - 1]?.codePointAt(0) ?? 0);
    run = step === 1 || step === -1 || (chars[i - 1] === '9' && chars[i] === '0') ? run + 1 : 1;
    if (run === chars.length) return true;
  }
  return false;
}

/**
 * Checks a new password. Length is counted in Unicode code points after NFC normalisation, so a
 * passphrase in any language counts each character once. The password is never echoed in a message.
 */
export function checkPassword(password: string, context: PasswordContext = {}, options: PasswordPolicyOptions = {}): PasswordCheck {
  const minLength = options.minLength ?? DEFAULT_MIN_LENGTH;
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  const denyList = options.denyList ?? COMMON_PASSWORDS;
  const normalised = password.normalize('NFC');
  const length = [...normalised].length;
  if (length < minLength) {
    return { ok: false, code: 'too-short', message: `Your password must be at least ${minLength} characters long. A few unrelated words together make a strong password that is easy to remember.` };
  }
  if (length > maxLength) {
    return { ok: false, code: 'too-long', message: `Your password must be ${maxLength} characters or fewer` };
  }
  const lower = normalised.toLowerCase();
  const base = core(lower);
  if (denyList.has(lower) || denyList.has(base) || denyList.has(deLeet(base)) || denyList.has(lettersOnly(deLeet(lower)))) {
    return { ok: false, code: 'common-password', message: 'That password is too common and would be easy to guess. Choose a different one.' };
  }
  if (isRepetitive(normalised)) {
    return { ok: false, code: 'repetitive', message: 'Your password must not be a repeated or sequential pattern. Choose a different one.' };
  }
  const letters = lettersOnly(deLeet(lower));
  const words = contextWords(context, options.serviceWords ?? DEFAULT_SERVICE_WORDS);
  const username = context.username ? lettersOnly(deLeet(context.username.toLowerCase())) : '';
  if (username.length >= 3 && letters.includes(username)) {
    return { ok: false, code: 'contains-context-word', message: 'Your password must not contain your username' };
  }
  let rest = letters;
  for (const w of words) rest = rest.split(w).join('');
  // A password that is mostly words about the person or this service is guessed from context; one that
  // merely includes such a word among others of its own is not.
  if (rest.length < letters.length && rest.length < 8) {
    return { ok: false, code: 'contains-context-word', message: 'Your password must not be built from your name, your username or the name of this service' };
  }
  return { ok: true };
}
