import { describe, expect, it } from 'vitest';
import { isValidKey, tagFormatProblem } from './product.js';

describe('product rules', () => {
  it('keys are lowercase words usable in URLs and references', () => {
    expect(isValidKey('checkout')).toBe(true);
    expect(isValidKey('mobile-bff.v2_x')).toBe(true);
    expect(isValidKey('Checkout')).toBe(false);
    expect(isValidKey('-x')).toBe(false);
    expect(isValidKey('a b')).toBe(false);
  });

  it('tag formats need {version} exactly once and only known placeholders', () => {
    expect(tagFormatProblem('v{version}')).toBeNull();
    expect(tagFormatProblem('{name}@{version}')).toBeNull();
    expect(tagFormatProblem('{name}-v{version}')).toBeNull();
    expect(tagFormatProblem('release')).toBe('must contain {version} exactly once');
    expect(tagFormatProblem('{version}-{version}')).toBe('must contain {version} exactly once');
    expect(tagFormatProblem('v{semver}')).toMatch(/unknown placeholder \{semver\}/);
    expect(tagFormatProblem('v {version}')).toMatch(/git does not allow/);
  });
});
