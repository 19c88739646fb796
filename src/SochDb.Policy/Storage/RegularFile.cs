using System;
using System.IO;
using System.Runtime.InteropServices;

namespace SochDb;

/// <summary>
/// Refuses a path that names something other than a regular file (a FIFO, a socket, a device) before anything opens
/// it: opening a FIFO to read its header would wait for a writer forever, and SQLite cannot keep a database in any of them.
/// </summary>
internal static class RegularFile
{
    // File type bits of st_mode, as the runtime's own stat shim reports them (the POSIX values).
    private const int TypeMask = 0xF000;
    private const int Regular = 0x8000;

    /// <summary>Throws when <paramref name="fullPath"/> exists and is not a regular file (symbolic links are followed).</summary>
    /// <param name="fullPath">The full path.</param>
    /// <param name="what">What the path was given as, for the message ("database", "audit log").</param>
    /// <exception cref="ArgumentException">The path names a FIFO, a socket, a device or another special file.</exception>
    public static void Require(string fullPath, string what)
    {
        if (OperatingSystem.IsWindows() || TypeOf(fullPath) is not { } type || type == Regular)
        {
            return;
        }

        string kind = type switch
        {
            0x1000 => "a FIFO (named pipe)",
            0x2000 => "a character device",
            0x6000 => "a block device",
            0xC000 => "a socket",
            0x4000 => "a directory",
            _ => "not a regular file",
        };
        throw new ArgumentException($"The {what} path '{fullPath}' is {kind}; give the path of a regular file.", "path");
    }

    /// <summary>The file type bits of the path, or null when it does not exist or the platform cannot say.</summary>
    private static int? TypeOf(string fullPath)
    {
        try
        {
            byte[] path = new byte[System.Text.Encoding.UTF8.GetByteCount(fullPath) + 1]; // NUL-terminated
            System.Text.Encoding.UTF8.GetBytes(fullPath, path);
            return Stat(path, out FileStatus status) == 0 ? status.Mode & TypeMask : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // The runtime's native shim is not reachable here: the check is skipped, as on a platform without FIFOs.
            return null;
        }
    }

    // The runtime's own portable stat (System.Native), whose result starts with two 32-bit fields: flags, then mode.
    // The struct is larger than the two fields read here; the size covers it with room to spare.
    // Blittable arguments only (a NUL-terminated UTF-8 path, a plain struct): no marshalling code, no unsafe code.
    [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Stat(byte[] path, out FileStatus status);

    [StructLayout(LayoutKind.Sequential, Size = 512)]
    private struct FileStatus
    {
        public int Flags;
        public int Mode;
    }
}
