// Wire details of the headless transport, shared by the server and the renderer's HTTP client.
//   POST {API_PREFIX}{channel}  body: JSON args  →  200 JSON result | 4xx/5xx ApiErrorBody
//   GET  {EVENTS_PATH}          Server-Sent Events, one `data:` line per PushEvent (JSON)
// Every request carries the access token, in the TOKEN_HEADER header or (for EventSource, which cannot set
// headers) the `token` query parameter. The printed start-up URL carries it as `?token=…`.
export const API_PREFIX = '/api/';
export const EVENTS_PATH = '/api/events';
export const TOKEN_HEADER = 'x-nas-token';
export const TOKEN_QUERY = 'token';
