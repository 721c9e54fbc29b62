// Regular expressions that playbooks, rules and the configuration bring: checked once, when they are
// loaded, against catastrophic backtracking (redos-detector), because attackers write the text they
// are matched against. A pattern that could take exponential time on some input is refused, naming it.
import { isSafePattern } from 'redos-detector';

/**
 * The check's budget is counted in steps, so the verdict on a pattern is the same on a quiet laptop and
 * on a loaded CI machine (a wall-clock timeout made it depend on the load). The timeout is only a
 * backstop against a hang; the step limit ends the check long before it in practice.
 */
const CHECK_MAX_STEPS = 20_000;
const CHECK_BACKSTOP_MS = 60_000;

/** `(?i)` at the start makes a pattern case-insensitive (JavaScript has no inline flags). */
export function splitFlags(pattern: string): { source: string; flags: string } {
  return pattern.startsWith('(?i)')
    ? { source: pattern.slice(4), flags: 'i' }
    : { source: pattern, flags: '' };
}

/**
 * Why `pattern` may not be used, or undefined when it may: not a valid regular expression, or open to
 * catastrophic backtracking.
 */
export function patternProblem(pattern: string): string | undefined {
  const { source, flags } = splitFlags(pattern);
  try {
    new RegExp(source, flags);
  } catch {
    return 'not a valid regular expression';
  }
  if (/\\k</.test(source)) return 'named backreferences (\\k<…>) are not allowed';
  // The checker's parser does not know named groups; for backtracking they are plain groups.
  const plain = source.replace(/\(\?<(?![=!])[A-Za-z_$][\w$]*>/g, '(');
  let result;
  try {
    result = isSafePattern(plain, {
      caseInsensitive: flags === 'i',
      maxSteps: CHECK_MAX_STEPS,
      timeout: CHECK_BACKSTOP_MS,
    });
  } catch {
    return 'cannot be checked for catastrophic backtracking; simplify it';
  }
  if (result.safe) return undefined;
  return result.error === 'hitMaxSteps' || result.error === 'timedOut'
    ? 'too complex to check for catastrophic backtracking; simplify it'
    : 'open to catastrophic backtracking (some input makes it take exponential time); simplify it, e.g. avoid nested or overlapping repetition like (a+)+';
}

const compiled = new Map<string, RegExp>();

/** The pattern compiled (once; patterns are checked when they load). */
export function compilePattern(pattern: string): RegExp {
  let regex = compiled.get(pattern);
  if (!regex) {
    const { source, flags } = splitFlags(pattern);
    regex = new RegExp(source, flags);
    compiled.set(pattern, regex);
  }
  return regex;
}
