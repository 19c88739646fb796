using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.Data.Sqlite;

namespace SochDb;

internal sealed partial class SqliteDatabase
{
    /// <summary>Most entries one page of a scan reads.</summary>
    internal const int ScanPageRows = 256;

    /// <summary>
    /// A page of a scan stops early once it holds this many bytes of keys and values (but always takes one entry), so
    /// a page of large values stays small too.
    /// </summary>
    internal const int ScanPageBytes = 1 << 20;

    private const string Table = SqliteSchema.TableName;

    /// <summary>The one connection that writes, with its prepared statements. Used under the write lock only.</summary>
    private sealed class WriterConnection : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _put;
        private readonly SqliteCommand _delete;
        private readonly SqliteCommand _begin;
        private readonly SqliteCommand _commit;
        private readonly SqliteCommand _rollback;

        public SqliteConnection Connection => _connection;

        private WriterConnection(SqliteConnection connection)
        {
            _connection = connection;
            // ON CONFLICT (k) works on both layouts: the key is the primary key of one and has a unique index in the other.
            _put = Prepare(connection, $"INSERT INTO {Table} (k, v) VALUES ($k, $v) ON CONFLICT (k) DO UPDATE SET v = excluded.v", "$k", "$v");
            _delete = Prepare(connection, $"DELETE FROM {Table} WHERE k = $k", "$k");
            // Plain BEGIN/COMMIT statements rather than SqliteTransaction, so the prepared commands need no rebinding.
            _begin = Prepare(connection, "BEGIN IMMEDIATE");
            _commit = Prepare(connection, "COMMIT");
            _rollback = Prepare(connection, "ROLLBACK");
        }

        public static WriterConnection Open(string connectionString, string synchronous, string fullPath, bool verify)
        {
            SqliteConnection connection = OpenConnection(connectionString, synchronous);
            try
            {
                // Read before writing anything: a file that is not a database, a table of our name with another shape,
                // or damage found by the checks fails here and the file stays as it was.
                SqliteLayout layout = SqliteSchema.Check(connection, fullPath);
                SqliteSchema.ReadEdges(connection, layout);
                if (verify && SqliteSchema.QuickCheck(connection) is { } findings)
                {
                    throw new InvalidDataException(
                        $"The database '{fullPath}' is corrupt: SQLite's quick_check found: {findings}. The file was left unchanged; " +
                        "restore it from a backup, or recover what is readable into a new file.");
                }

                using (SqliteCommand setup = connection.CreateCommand())
                {
                    setup.CommandText = "PRAGMA journal_mode=WAL";
                    string? mode = setup.ExecuteScalar() as string;
                    if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                    {
                        throw new IOException($"Cannot open the database '{fullPath}': SQLite refused WAL mode (journal mode is '{mode}').");
                    }
                }

                if (layout == SqliteLayout.Missing)
                {
                    SqliteSchema.Create(connection);
                }

                return new WriterConnection(connection);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        public void Put(byte[] key, byte[] value)
        {
            _put.Parameters[0].Value = key;
            _put.Parameters[1].Value = value;
            _put.ExecuteNonQuery();
        }

        public bool Delete(byte[] key)
        {
            _delete.Parameters[0].Value = key;
            return _delete.ExecuteNonQuery() > 0;
        }

        public void Write(IReadOnlyList<(byte[] Key, byte[]? Value)> operations) => WriteWithRecords(operations, auditTable: null, records: null);

        /// <summary>
        /// Applies <paramref name="operations"/> and inserts <paramref name="records"/> into <paramref name="auditTable"/>
        /// in one transaction: both commit or neither does. Returns how many rows the deletes removed.
        /// </summary>
        public int WriteWithRecords(IReadOnlyList<(byte[] Key, byte[]? Value)> operations, string? auditTable, IReadOnlyList<SochDb.Policy.AuditRecord>? records)
        {
            int removed = 0;
            _begin.ExecuteNonQuery();
            try
            {
                foreach ((byte[] key, byte[]? value) in operations)
                {
                    if (value is null)
                    {
                        removed += Delete(key) ? 1 : 0;
                    }
                    else
                    {
                        Put(key, value);
                    }
                }

                if (records is not null && auditTable is not null)
                {
                    SochDb.Policy.Audit.AuditInsertStatement insert = InsertInto(auditTable);
                    foreach (SochDb.Policy.AuditRecord record in records)
                    {
                        insert.Execute(record);
                    }
                }

                _commit.ExecuteNonQuery();
                return removed;
            }
            catch
            {
                try
                {
                    _rollback.ExecuteNonQuery();
                }
                catch (SqliteException)
                {
                    // SQLite already rolled back (some errors end the transaction); the first error is the one to report.
                }

                throw;
            }
        }

        // The audit INSERT of each table this connection has written entries into, prepared once.
        private readonly Dictionary<string, SochDb.Policy.Audit.AuditInsertStatement> _inserts = new(StringComparer.Ordinal);

        private SochDb.Policy.Audit.AuditInsertStatement InsertInto(string table)
        {
            if (!_inserts.TryGetValue(table, out SochDb.Policy.Audit.AuditInsertStatement? insert))
            {
                insert = new SochDb.Policy.Audit.AuditInsertStatement(_connection, SochDb.Policy.AuditSqlQuery.Insert(table));
                _inserts[table] = insert;
            }

            return insert;
        }

        public void Dispose()
        {
            foreach (SochDb.Policy.Audit.AuditInsertStatement insert in _inserts.Values)
            {
                insert.Dispose();
            }

            _put.Dispose();
            _delete.Dispose();
            _begin.Dispose();
            _commit.Dispose();
            _rollback.Dispose();
            _connection.Dispose();
        }
    }

    /// <summary>A read-only connection with its prepared statements. Used by one thread at a time.</summary>
    private sealed class ReaderConnection : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _get;

        // A scan's first page starts at the prefix (k >= lower), later pages after the last key read (k > after); a
        // prefix of only 0xFF bytes, or none, has no upper bound. Four statements, so each stays prepared.
        private readonly SqliteCommand _firstPage;
        private readonly SqliteCommand _firstPageToEnd;
        private readonly SqliteCommand _nextPage;
        private readonly SqliteCommand _nextPageToEnd;

        private ReaderConnection(SqliteConnection connection)
        {
            _connection = connection;
            _get = Prepare(connection, $"SELECT v FROM {Table} WHERE k = $k", "$k");
            string select = $"SELECT k, v FROM {Table} WHERE";
            string order = $"ORDER BY k LIMIT {ScanPageRows}";
            _firstPage = Prepare(connection, $"{select} k >= $from AND k < $to {order}", "$from", "$to");
            _firstPageToEnd = Prepare(connection, $"{select} k >= $from {order}", "$from");
            _nextPage = Prepare(connection, $"{select} k > $from AND k < $to {order}", "$from", "$to");
            _nextPageToEnd = Prepare(connection, $"{select} k > $from {order}", "$from");
        }

        public SqliteConnection Connection => _connection;

        public static ReaderConnection Open(string connectionString, string synchronous)
        {
            SqliteConnection connection = OpenConnection(connectionString, synchronous);
            try
            {
                return new ReaderConnection(connection);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        public byte[]? Get(byte[] key)
        {
            _get.Parameters[0].Value = key;
            using SqliteDataReader reader = _get.ExecuteReader();
            return reader.Read() ? reader.GetFieldValue<byte[]>(0) : null;
        }

        /// <summary>Reads one page (one statement, so one committed state); returns whether more may follow.</summary>
        public bool ReadPage(byte[] lower, byte[]? after, byte[]? upper, List<KeyValuePair<byte[], byte[]>> page)
        {
            SqliteCommand command = (after is null, upper is null) switch
            {
                (true, false) => _firstPage,
                (true, true) => _firstPageToEnd,
                (false, false) => _nextPage,
                (false, true) => _nextPageToEnd,
            };
            command.Parameters[0].Value = after ?? lower;
            if (upper is not null)
            {
                command.Parameters[1].Value = upper;
            }

            long bytes = 0;
            using SqliteDataReader reader = command.ExecuteReader();
            while (reader.Read())
            {
                byte[] key = reader.GetFieldValue<byte[]>(0);
                byte[] value = reader.GetFieldValue<byte[]>(1);
                page.Add(new KeyValuePair<byte[], byte[]>(key, value));
                bytes += key.Length + value.Length;
                if (bytes >= ScanPageBytes && page.Count < ScanPageRows)
                {
                    // Cut short by size: the next page starts after this key.
                    return true;
                }
            }

            return page.Count == ScanPageRows;
        }

        public void Dispose()
        {
            _get.Dispose();
            _firstPage.Dispose();
            _firstPageToEnd.Dispose();
            _nextPage.Dispose();
            _nextPageToEnd.Dispose();
            _connection.Dispose();
        }
    }
}
