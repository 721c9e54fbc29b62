// The demo mailbox (only when no SMTP relay is configured): what Reflex "sent".
import { z } from 'zod';
import { defineRoute } from '../contract';
import { mailMessage } from './schemas';

export const mailboxPage = defineRoute({
  method: 'get',
  path: '/mailbox',
  tag: 'mailbox',
  summary: 'Demo mailbox',
  access: 'responder',
  page: true,
  responses: { 200: { description: 'The list', content: 'text/html' } },
});

export const mailboxMessages = defineRoute({
  method: 'get',
  path: '/mailbox/api/messages',
  tag: 'mailbox',
  summary: 'Demo mailbox messages as JSON',
  access: 'responder',
  page: true,
  responses: { 200: { description: 'Messages', json: z.object({ messages: z.array(mailMessage) }) } },
});

export const mailboxMessage = defineRoute({
  method: 'get',
  path: '/mailbox/{id}',
  tag: 'mailbox',
  summary: 'One demo e-mail',
  access: 'responder',
  page: true,
  params: z.object({ id: z.string().max(64) }),
  responses: {
    200: { description: 'The message', content: 'text/html' },
    404: { description: 'No such message', content: 'text/html' },
  },
});

export const MAILBOX_ROUTES = [mailboxPage, mailboxMessages, mailboxMessage];
