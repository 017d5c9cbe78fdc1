// Wire details of the headless transport, shared by the server and the renderer's HTTP client.
//   POST {API_PREFIX}{channel}  body: JSON args  →  200 JSON result | 4xx/5xx ApiErrorBody
//   GET  {EVENTS_PATH}          Server-Sent Events, one `data:` line per PushEvent (JSON)
// Scripts send the access token in the TOKEN_HEADER header. A browser opens the printed start-up URL
// (`?token=…` once): the server turns it into an HttpOnly session cookie and redirects to the clean URL, so
// fetch and EventSource carry the cookie and the token never appears in a request URL again.
export const API_PREFIX = '/api/';
export const EVENTS_PATH = '/api/events';
export const TOKEN_HEADER = 'x-nas-token';
export const TOKEN_QUERY = 'token';
