// Signing in to the board with an access token (a read-only browser session), and out.
import { z } from 'zod';
import { defineRoute } from '../contract';
import { errorBody } from './schemas';

export const loginPage = defineRoute({
  method: 'get',
  path: '/login',
  tag: 'access',
  summary: 'Sign-in page',
  access: 'public',
  query: z.looseObject({ next: z.unknown().optional() }),
  responses: { 200: { description: 'The page', content: 'text/html' } },
});

export const login = defineRoute({
  method: 'post',
  path: '/login',
  tag: 'access',
  summary: 'Sign in with an access token: sets a read-only session cookie',
  access: 'public',
  body: {
    kind: 'form',
    schema: z.looseObject({ token: z.unknown().optional(), next: z.unknown().optional() }),
  },
  responses: {
    303: { description: 'Signed in', headers: ['Location', 'Set-Cookie'] },
    401: { description: 'Not a valid token', content: 'text/html' },
    429: { description: 'Too many sign-in attempts from this address; see Retry-After', json: errorBody },
  },
});

export const logout = defineRoute({
  method: 'post',
  path: '/logout',
  tag: 'access',
  summary: 'Sign out',
  access: 'public',
  responses: { 303: { description: 'Signed out', headers: ['Location'] } },
});

export const oidcLogin = defineRoute({
  method: 'get',
  path: '/login/oidc',
  tag: 'access',
  summary: 'Sign in with Microsoft (OpenID Connect): to the provider, with state, nonce and PKCE',
  access: 'public',
  query: z.looseObject({ next: z.unknown().optional() }),
  responses: {
    303: { description: 'To the provider', headers: ['Location', 'Set-Cookie'] },
    404: { description: 'Microsoft sign-in is not configured', json: errorBody },
    503: { description: 'The provider cannot be reached', content: 'text/html' },
  },
});

export const oidcCallback = defineRoute({
  method: 'get',
  path: '/login/oidc/callback',
  tag: 'access',
  summary: 'Where the provider sends people back: the code exchanged, the ID token checked, a session opened',
  access: 'public',
  query: z.looseObject({}),
  responses: {
    303: { description: 'Signed in', headers: ['Location', 'Set-Cookie'] },
    403: {
      description: 'Refused: the answer did not check out, or the account has no role',
      content: 'text/html',
    },
    404: { description: 'Microsoft sign-in is not configured', json: errorBody },
  },
});

export const ACCESS_ROUTES = [loginPage, login, logout, oidcLogin, oidcCallback];
