/** The API, described (served at /api/openapi.json). Kept beside api.ts; tests/e2e/console.test.ts checks each path answers. */
const err = { $ref: '#/components/responses/Error' };
const ok = (description: string) => ({ description, content: { 'application/json': { schema: { type: 'object' } } } });
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const body = (properties: Record<string, unknown>, required: string[]) => ({ required: true, content: { 'application/json': { schema: { type: 'object', properties, required, additionalProperties: false } } } });
const common = { 400: err, 401: err, 403: err };

export const OPENAPI = {
  openapi: '3.1.0',
  info: { title: 'zvonar', version: '1', description: 'Operators take calls the robot hands off; supervisors steer campaigns. Sign in with POST /api/login (a session cookie) or send Authorization: Bearer with a token whose SHA-256 is in operators.tokens. Live events come over the ws hub at /ws.' },
  components: {
    securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'zvonar_session' }, token: { type: 'http', scheme: 'bearer' } },
    responses: { Error: { description: 'error: code (docs/errors.md), message, field', content: { 'application/json': { schema: { type: 'object', properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } } } } } } } } },
  },
  security: [{ session: [] }, { token: [] }],
  paths: {
    '/api/login': { post: { security: [], summary: 'sign in', requestBody: body({ login: { type: 'string' }, password: { type: 'string' } }, ['login', 'password']), responses: { 200: ok('signed in; the cookie is set'), 401: err } } },
    '/api/logout': { post: { summary: 'sign out', responses: { 200: ok('signed out'), 401: err } } },
    '/api/me': { get: { summary: 'who is signed in', responses: { 200: ok('login, name, role, presence'), 401: err } } },
    '/api/presence': { post: { summary: 'operator: available or away', requestBody: body({ presence: { enum: ['available', 'away'] } }, ['presence']), responses: { 200: ok('the operator'), ...common } } },
    '/api/handoffs': { get: { summary: 'the calls waiting for or with operators (the patient only for the operator it is offered to)', responses: { 200: ok('handoffs'), 401: err } } },
    '/api/handoffs/{id}/accept': { post: { summary: 'take the call offered', parameters: [id], responses: { 200: ok('bridged to your phone'), ...common, 409: err } } },
    '/api/handoffs/{id}/decline': { post: { summary: 'pass the offer on', parameters: [id], responses: { 200: ok('passed'), ...common, 409: err } } },
    '/api/handoffs/{id}/hangup': { post: { summary: 'end the call on your line', parameters: [id], responses: { 200: ok('ended'), ...common, 409: err } } },
    '/api/handoffs/{id}/slots': { get: { summary: 'free slots for the patient of your call', parameters: [id], responses: { 200: ok('slots'), ...common, 409: err } } },
    '/api/handoffs/{id}/book': { post: { summary: 'book a slot for the patient of your call (never twice)', parameters: [id], requestBody: body({ slotId: { type: 'string' } }, ['slotId']), responses: { 200: ok('booked'), ...common, 409: err } } },
    '/api/handoffs/{id}/visits': { get: { summary: 'the visits ahead of the patient of your call', parameters: [id], responses: { 200: ok('visits'), ...common, 409: err } } },
    '/api/handoffs/{id}/visits/{bookingId}/cancel': { post: { summary: 'cancel a visit of the patient of your call (its slot is freed)', parameters: [id, { name: 'bookingId', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: ok('cancelled'), ...common, 409: err } } },
    '/api/handoffs/{id}/visits/{bookingId}/move': { post: { summary: 'move a visit to a free slot (the old slot is freed only if the new one is booked)', parameters: [id, { name: 'bookingId', in: 'path', required: true, schema: { type: 'string' } }], requestBody: body({ slotId: { type: 'string' } }, ['slotId']), responses: { 200: ok('moved'), ...common, 409: err } } },
    '/api/handoffs/{id}/wrap-up': { post: { summary: 'your final code and note (after the call)', parameters: [id], requestBody: body({ disposition: { type: 'string' }, note: { type: ['string', 'null'] }, callbackAt: { type: ['string', 'null'], format: 'date-time' } }, ['disposition']), responses: { 200: ok('stored; the contact moved'), ...common } } },
    '/api/operators': { get: { summary: 'supervisor: operators and their presence', responses: { 200: ok('operators'), ...common } } },
    '/api/campaigns': { get: { summary: 'supervisor: campaigns', responses: { 200: ok('campaigns'), ...common } } },
    '/api/campaigns/{id}': { get: { summary: 'supervisor: a campaign, its rules, script version and progress', parameters: [id], responses: { 200: ok('campaign'), ...common, 404: err } } },
    '/api/campaigns/{id}/calls': { get: { summary: 'supervisor: the campaign\'s calls in progress in every dialer (numbers masked)', parameters: [id], responses: { 200: ok('calls'), ...common, 404: err } } },
    '/api/campaigns/{id}/graph.svg': { get: { summary: 'supervisor: the campaign\'s script drawn', parameters: [id], responses: { 200: { description: 'SVG', content: { 'image/svg+xml': {} } }, ...common, 404: err } } },
    '/api/campaigns/{id}/contacts': { post: { summary: 'supervisor: add a contact list (CSV, UTF-8 or Windows-1251); every good row is imported, each rejected row named with its line and reason', parameters: [id, { name: 'name', in: 'query', required: false, schema: { type: 'string' } }], requestBody: { required: true, content: { 'text/csv': {} } }, responses: { 200: ok('imported, rejected, already, lines'), ...common, 404: err } } },
    '/api/campaigns/{id}/pause': { post: { summary: 'supervisor: pause', parameters: [id], responses: { 200: ok('paused'), ...common, 404: err, 409: err } } },
    '/api/campaigns/{id}/resume': { post: { summary: 'supervisor: resume', parameters: [id], responses: { 200: ok('active'), ...common, 404: err, 409: err } } },
    '/api/campaigns/{id}/stop': { post: { summary: 'supervisor: stop for good', parameters: [id], responses: { 200: ok('done'), ...common, 404: err, 409: err } } },
    '/api/campaigns/{id}/attempts.csv': { get: { summary: 'supervisor: the attempts as CSV', parameters: [id], responses: { 200: { description: 'CSV', content: { 'text/csv': {} } }, ...common, 404: err } } },
  },
} as const;
