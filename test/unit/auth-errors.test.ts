import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { IdentityProviderUnavailableError, InvalidTokenError, MissingTokenError } from '../../lib/keel/auth/errors';
import { HttpError } from '../../lib/keel/http/errors';
import { errorHandler } from '../../lib/keel/http/middleware/error-handler';
import { PROBLEMS, RETRY_AFTER_SECONDS } from '../../lib/keel/schemas/problems';
import { createLogger } from '../../config/logger';

/** The problem+json response keel's error handler writes for an error thrown by a route. */
async function answerTo(error: Error): Promise<request.Response> {
  const app = express();
  app.get('/protected', () => {
    throw error;
  });
  app.use(errorHandler(createLogger({ env: 'test', logLevel: 'silent' })));
  return request(app).get('/protected');
}

describe('authentication errors', () => {
  describe('MissingTokenError', () => {
    it('is answered 401 unauthorized with the Bearer challenge of realm keel', async () => {
      const res = await answerTo(new MissingTokenError());

      expect(res.status).to.equal(401);
      expect(res.body).to.include({ code: 'unauthorized', detail: PROBLEMS.unauthorized.detail });
      expect(res.headers['www-authenticate']).to.equal('Bearer realm="keel"');
    });
  });

  describe('InvalidTokenError', () => {
    it('is answered 401 invalid_token with error="invalid_token" in the challenge, and never its reason', async () => {
      const error = new InvalidTokenError('signature');

      const res = await answerTo(error);

      expect(error).to.be.instanceOf(HttpError);
      expect(error.reason).to.equal('signature');
      expect(res.status).to.equal(401);
      expect(res.body).to.include({ code: 'invalid_token', detail: 'The bearer token is not valid for this service.' });
      expect(res.headers['www-authenticate']).to.equal('Bearer realm="keel", error="invalid_token"');
      expect(res.text).to.not.include('signature');
    });
  });

  describe('IdentityProviderUnavailableError', () => {
    it('is answered 503 identity_provider_unavailable with Retry-After', async () => {
      const res = await answerTo(new IdentityProviderUnavailableError());

      expect(res.status).to.equal(503);
      expect(res.body).to.include({
        code: 'identity_provider_unavailable',
        detail: 'The identity provider cannot be reached to verify the token; try again shortly.',
      });
      expect(res.headers['retry-after']).to.equal(RETRY_AFTER_SECONDS);
    });
  });

  it('lists invalid_token (401) and identity_provider_unavailable (503) among the problem codes', () => {
    expect(PROBLEMS.invalid_token.status).to.equal(401);
    expect(PROBLEMS.identity_provider_unavailable.status).to.equal(503);
  });
});
