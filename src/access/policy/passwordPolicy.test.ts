import { describe, expect, it } from 'vitest';
import { COMMON_PASSWORDS, checkPassword } from './passwordPolicy.ts';

describe('password policy', () => {
  const context = { username: 'jsmith', displayName: 'Jane Smith' };

  it.each([
    ['a long passphrase', 'violet kettle harbour ninety', 'ok'],
    ['exactly twelve characters', 'tulip-ocean7', 'ok'],
    ['eleven characters', 'tulip-ocean', 'too-short'],
    ['empty', '', 'too-short'],
    ['129 characters', 'x'.repeat(64) + 'y'.repeat(65), 'too-long'],
    ['128 varied characters', 'violet kettle harbour ninety '.repeat(5).slice(0, 128), 'ok'],
    ['no composition rules: all lower case', 'correct pony staple battery', 'ok'],
    ['a common password padded with digits', 'qwertyuiop123456', 'common-password'],
    ['a common password dressed up', 'P@ssw0rd123!', 'common-password'],
    ['a common password in capitals', 'QWERTY123456', 'common-password'],
    ['iloveyou with a year', 'iloveyou2024!!', 'common-password'],
    ['a famous passphrase', 'correcthorsebatterystaple', 'common-password'],
    ['one character repeated', 'aaaaaaaaaaaaaaa', 'repetitive'],
    ['a short block repeated', 'abcabcabcabc', 'repetitive'],
    ['a digit run', '345678901234', 'repetitive'],
    ['the alphabet', 'abcdefghijklmn', 'repetitive'],
    ['the username with digits', 'jsmith20252025', 'contains-context-word'],
    ['the username inside a phrase', 'my name is jsmith ok', 'contains-context-word'],
    ['the service name', 'OneHealthAndCare1', 'contains-context-word'],
    ['nhs, password and the county', 'NHS-password-stoke', 'contains-context-word'],
    ['a listed password', 'NHSpassword2025', 'common-password'],
    ['the person\'s name', 'JaneSmith1987!!', 'contains-context-word'],
    ['a context word among real words', 'nhs tractor umbrella giraffe', 'ok'],
    ['non-Latin passphrase counted by characters', 'größe straße wärme', 'ok'],
    ['three emoji are not twelve characters', '🔒🔒🔒🔒🔒🔒', 'too-short'],
  ])('%s → %s', (_name, password, expected) => {
    const r = checkPassword(password, context);
    expect(r.ok ? 'ok' : r.code).toBe(expected);
    if (!r.ok) {
      expect(r.message.length).toBeGreaterThan(10);
      if (password.length > 3) expect(r.message).not.toContain(password);
    }
  });

  it.each([
    [{ minLength: 8 }, 'tulip-oc', 'ok'],
    [{ minLength: 16 }, 'tulip-ocean7', 'too-short'],
    [{ maxLength: 20 }, 'violet kettle harbour ninety', 'too-long'],
    [{ serviceWords: ['tulip', 'ocean'] }, 'tulip-ocean7', 'contains-context-word'],
    [{ denyList: new Set(['tulip-ocean7']) }, 'tulip-ocean7', 'common-password'],
  ])('configured %j: %j → %s', (options, password, expected) => {
    const r = checkPassword(password, {}, options);
    expect(r.ok ? 'ok' : r.code).toBe(expected);
  });

  it('embeds about two hundred common passwords, all lower case', () => {
    expect(COMMON_PASSWORDS.size).toBeGreaterThanOrEqual(200);
    for (const p of COMMON_PASSWORDS) expect(p).toBe(p.toLowerCase());
  });

  it('says what the minimum is', () => {
    const r = checkPassword('short', {}, { minLength: 14 });
    expect(!r.ok && r.message).toMatch(/14 characters/);
  });
});
