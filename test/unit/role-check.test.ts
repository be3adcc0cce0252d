import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../config/env';
import { rlsVerdict, type RoleSecurity } from '../../lib/keel/db/role-check';

const superuser: RoleSecurity = { name: 'postgres', superuser: true, bypassRls: true, tablesUnderRls: 3, ownedUnforced: 0 };
const bypassing: RoleSecurity = { name: 'reporting', superuser: false, bypassRls: true, tablesUnderRls: 1, ownedUnforced: 0 };
const ordinary: RoleSecurity = { name: 'keel', superuser: false, bypassRls: false, tablesUnderRls: 3, ownedUnforced: 0 };

describe('rlsVerdict (what keel does about a role that bypasses row-level security)', () => {
  it('says nothing when the role is bound by row-level security', () => {
    expect(rlsVerdict(ordinary, { deployed: true, allowBypass: false })).to.equal(undefined);
  });

  it('warns, deployed too, when the role owns tables whose row-level security is not forced, naming them and the remedy', () => {
    const verdict = rlsVerdict({ ...ordinary, ownedUnforced: 2 }, { deployed: true, allowBypass: false });

    expect(verdict?.action).to.equal('warn');
    expect(verdict?.message)
      .to.include('"keel" owns 2 tables whose row-level security is not forced')
      .and.include('FORCE ROW LEVEL SECURITY');
  });

  it('says nothing when no table is under row-level security, even deployed as a superuser', () => {
    expect(rlsVerdict({ ...superuser, tablesUnderRls: 0 }, { deployed: true, allowBypass: false })).to.equal(undefined);
  });

  it('warns in development, naming the role, why it bypasses, the number of tables and what to do', () => {
    const verdict = rlsVerdict(superuser, { deployed: false, allowBypass: false });

    expect(verdict?.action).to.equal('warn');
    expect(verdict?.message)
      .to.include('"postgres"')
      .and.include('it is a superuser')
      .and.include('3 tables')
      .and.include('connect as an ordinary role (NOSUPERUSER NOBYPASSRLS)');
    expect(verdict?.fields).to.deep.equal({ role: 'postgres', reason: 'it is a superuser', tablesUnderRls: 3 });
  });

  it('names the BYPASSRLS attribute as the reason for a role that is no superuser', () => {
    const verdict = rlsVerdict(bypassing, { deployed: false, allowBypass: false });

    expect(verdict?.message)
      .to.include('"reporting"')
      .and.include('it has the BYPASSRLS attribute')
      .and.include('the policies of 1 table do not apply');
  });

  it('refuses when deployed, saying how to declare it intended', () => {
    const verdict = rlsVerdict(bypassing, { deployed: true, allowBypass: false });

    expect(verdict?.action).to.equal('refuse');
    expect(verdict?.message)
      .to.match(/^refusing to serve: /)
      .and.include('set DB_ALLOW_RLS_BYPASS=true if this is intended');
  });

  it('only warns when DB_ALLOW_RLS_BYPASS says it is intended, deployed or not', () => {
    for (const deployed of [true, false]) {
      const verdict = rlsVerdict(superuser, { deployed, allowBypass: true });

      expect(verdict?.action, `deployed: ${deployed}`).to.equal('warn');
      expect(verdict?.message).to.include('DB_ALLOW_RLS_BYPASS=true says this is intended');
    }
  });
});

describe('DB_ALLOW_RLS_BYPASS', () => {
  const allowRlsBypass = (value?: string): boolean =>
    loadConfig({ NODE_ENV: 'test', ...(value === undefined ? {} : { DB_ALLOW_RLS_BYPASS: value }) }).database.allowRlsBypass;

  it('is false unless set, and true only when set to true', () => {
    expect([allowRlsBypass(), allowRlsBypass('false'), allowRlsBypass('true')]).to.deep.equal([false, false, true]);
  });

  it('refuses any other value, stating the rule without repeating the value', () => {
    expect(() => allowRlsBypass('yes-please'))
      .to.throw(ConfigError, 'DB_ALLOW_RLS_BYPASS: must be one of true, false')
      .with.property('message')
      .that.does.not.include('yes-please');
  });
});
