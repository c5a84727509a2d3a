/** The login page may post its form to this server, and nothing else; no script at all. */
export const LOGIN_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "style-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The login form. `message` is one of the server's own sentences (never a user's input), escaped anyway.
 */
export function loginPage(message?: string): string {
  const escaped = (message ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · sales-pipeline</title>
<link rel="stylesheet" href="/style.css">
</head>
<body class="login">
<main>
<h1>sales-pipeline</h1>
<form method="post" action="/login" data-testid="login-form">
<label>User <input name="user" autocomplete="username" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
${message ? `<p class="error" role="alert" data-testid="login-error">${escaped}</p>` : ''}
<button type="submit">Sign in</button>
</form>
</main>
</body>
</html>
`;
}
