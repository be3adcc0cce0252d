'use strict';
// The foundation: a uuidv7() function on every server keel supports. PostgreSQL 18 has one
// built in; on older servers this migration adds public.uuidv7(), which builds a version 7 UUID
// (48-bit Unix milliseconds, then random bits) from gen_random_uuid(), so keys stay time-ordered.

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface) {
    await queryInterface.sequelize.query(`
      DO $$
      BEGIN
        IF current_setting('server_version_num')::int < 180000 THEN
          CREATE OR REPLACE FUNCTION public.uuidv7() RETURNS uuid
          LANGUAGE sql VOLATILE PARALLEL SAFE AS $fn$
            SELECT encode(
              set_bit(set_bit(
                overlay(uuid_send(gen_random_uuid())
                        PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                        FROM 1 FOR 6),
                52, 1), 53, 1),
              'hex')::uuid
          $fn$;
          COMMENT ON FUNCTION public.uuidv7() IS 'keel: UUIDv7 for PostgreSQL < 18 (built in from 18)';
        END IF;
      END
      $$;
    `);
  },

  async down(queryInterface) {
    await queryInterface.sequelize.query('DROP FUNCTION IF EXISTS public.uuidv7()');
  },
};
