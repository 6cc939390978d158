import type { FastifyReply } from 'fastify';
import type { HopResponse } from './upstream.ts';

/** Pass the next hop's answer on unchanged: its status, and its problem document on errors. */
export function forward(reply: FastifyReply, response: HopResponse) {
  if (response.status >= 400) reply.type('application/problem+json');
  return reply.code(response.status).send(response.body);
}
