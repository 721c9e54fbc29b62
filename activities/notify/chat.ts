// chat.post: on-call beyond e-mail. A Microsoft Teams "Workflows" webhook gets an Adaptive Card, a
// Slack incoming webhook gets blocks. E-mail stays the default and goes first; a channel is extra.
// The channels' URLs are credentials: they live in the worker's configuration and never in workflow
// history (the workflow names a channel). Buttons only open pages (Teams supports nothing else
// without a bot): the incident's timeline, or the signed-in approval page, which decides nothing
// when opened — chat unfurlers are as harmless as mail scanners. Alert text is attacker-written, so
// it is sent as plain text: escaped for Teams' markdown, and as Slack `plain_text`.
import { ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { OutboundRedirect, OutboundRefused, send, type OutboundOptions } from '../outbound';
import { retryAfterSeconds } from '../../common/retry-after';
import type { ActionInput } from '../action';
import { formatTime } from './send';

export const CHAT_KINDS = ['teams', 'slack'] as const;
export type ChatKind = (typeof CHAT_KINDS)[number];

export interface ChatChannel {
  kind: ChatKind;
  /** The webhook URL (a credential). */
  url: string;
}

export interface ChatDeps {
  channels: ReadonlyMap<string, ChatChannel>;
  outbound?: OutboundOptions;
  /** IANA time zone for times in messages. @default Europe/Amsterdam */
  timeZone?: string;
}

const postArgs = z.object({
  channel: z.string().min(1),
  title: z.string().min(1).max(300),
  text: z.string().max(3000).default(''),
  facts: z
    .array(z.object({ title: z.string().max(100), value: z.string().max(1000) }))
    .max(12)
    .default([]),
  /** A time to decide by, written out in the organisation's time zone. */
  deadline: z.iso.datetime().optional(),
  button: z.object({ title: z.string().min(1).max(80), url: z.url() }),
  drill: z.boolean().default(false),
});
export type ChatMessage = z.infer<typeof postArgs>;

/**
 * The characters that open Teams' markdown in a TextBlock (emphasis, links, code, headings, HTML),
 * written as literal characters: an alert's `[Log in](https://…)` shows as typed, not as a link.
 */
export function escapeTeamsMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>#]/g, (c) => `\\${c}`);
}

/** The body a Teams Workflows webhook takes: a message with one Adaptive Card. */
export function teamsBody(m: ChatMessage): unknown {
  const title = `${m.drill ? 'DRILL: ' : ''}${m.title}`;
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            {
              type: 'TextBlock',
              text: escapeTeamsMarkdown(title),
              weight: 'Bolder',
              size: 'Medium',
              wrap: true,
            },
            ...(m.text ? [{ type: 'TextBlock', text: escapeTeamsMarkdown(m.text), wrap: true }] : []),
            ...(m.facts.length
              ? [
                  {
                    type: 'FactSet',
                    facts: m.facts.map((f) => ({
                      title: escapeTeamsMarkdown(f.title),
                      value: escapeTeamsMarkdown(f.value),
                    })),
                  },
                ]
              : []),
          ],
          actions: [{ type: 'Action.OpenUrl', title: m.button.title, url: m.button.url }],
        },
      },
    ],
  };
}

/** Slack's three characters that make links and mentions in `text`. */
const slackEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const plain = (text: string) => ({ type: 'plain_text', text, emoji: false });

/** The body a Slack incoming webhook takes: fallback text and blocks, every alert value plain text. */
export function slackBody(m: ChatMessage): unknown {
  const title = `${m.drill ? 'DRILL: ' : ''}${m.title}`;
  return {
    text: slackEscape(title),
    blocks: [
      { type: 'header', text: plain(title.slice(0, 150)) },
      ...(m.text ? [{ type: 'section', text: plain(m.text) }] : []),
      ...(m.facts.length
        ? [{ type: 'section', fields: m.facts.slice(0, 10).map((f) => plain(`${f.title}: ${f.value}`)) }]
        : []),
      {
        type: 'actions',
        elements: [{ type: 'button', text: plain(m.button.title), url: m.button.url }],
      },
    ],
  };
}

export function createChatActivities(deps: ChatDeps) {
  return {
    async 'chat.post'(input: ActionInput): Promise<{ channel: string; status: number }> {
      const parsed = postArgs.safeParse(input.args);
      if (!parsed.success) throw ApplicationFailure.nonRetryable(parsed.error.message, 'InvalidArguments');
      const message = parsed.data;
      if (message.deadline) {
        message.facts.push({
          title: 'Decide by',
          value: formatTime(message.deadline, 'en', deps.timeZone ?? 'Europe/Amsterdam'),
        });
      }
      const channel = deps.channels.get(message.channel);
      if (!channel) {
        throw ApplicationFailure.nonRetryable(
          `no chat channel "${message.channel}" is configured`,
          'ChatUnknown',
        );
      }
      const body = channel.kind === 'teams' ? teamsBody(message) : slackBody(message);
      // Never the URL itself in an error: it is the channel's credential.
      const where = `${channel.kind} channel "${message.channel}"`;
      let response;
      try {
        response = await send(
          channel.url,
          { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
          { ...deps.outbound, maxBytes: 300 },
        );
      } catch (err) {
        if (err instanceof OutboundRefused || err instanceof OutboundRedirect) {
          throw ApplicationFailure.nonRetryable(
            `${where}: ${err.message.replace(channel.url, '…')}`,
            'ChatRefused',
          );
        }
        throw ApplicationFailure.create({
          type: 'ChatUnreachable',
          message: `${where}: ${(err as Error).name}`,
        });
      }
      if (response.status >= 200 && response.status < 300)
        return { channel: message.channel, status: response.status };
      const reason = `${where} answered ${response.status}${response.text ? `: ${response.text.slice(0, 200)}` : ''}`;
      if (response.status === 429 || response.status >= 500) {
        const seconds = retryAfterSeconds(response.headers.get('retry-after'));
        throw ApplicationFailure.create({
          type: 'ChatRetryable',
          message: reason,
          nextRetryDelay: seconds !== undefined ? `${seconds} seconds` : undefined,
        });
      }
      throw ApplicationFailure.nonRetryable(reason, 'ChatRejected');
    },
  };
}
