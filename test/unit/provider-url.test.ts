import { expect } from 'chai';
import { isAllowedProviderUrl } from '../../config/auth';

describe('isAllowedProviderUrl', () => {
  const allowed = [
    'https://login.example.com/.well-known/openid-configuration',
    'https://10.0.0.5:8443/jwks',
    'http://127.0.0.1:4000/jwks',
    'http://127.8.9.10/jwks',
    'http://localhost:8080/realms/keel',
    'http://LOCALHOST/jwks',
    'http://[::1]:4000/jwks',
  ];
  for (const url of allowed) {
    it(`allows ${url}`, () => {
      expect(isAllowedProviderUrl(url)).to.equal(true);
    });
  }

  const refused = [
    'http://login.example.com/jwks',
    'http://10.0.0.5/jwks',
    'http://128.0.0.1/jwks',
    'http://127.0.0.1.example.com/jwks',
    'http://localhost.example.com/jwks',
    'http://[::ffff:7f00:1]/jwks',
    'http://0.0.0.0/jwks',
    'https://user:secret@login.example.com/jwks',
    'ftp://127.0.0.1/jwks',
    'file:///etc/keys.json',
    'urn:keel:development',
    'not a url',
    '',
  ];
  for (const url of refused) {
    it(`refuses ${JSON.stringify(url)}`, () => {
      expect(isAllowedProviderUrl(url)).to.equal(false);
    });
  }
});
