using BenchmarkDotNet.Running;

namespace SochDb.Policy.ScaleOut.Benchmarks;

public static class Program
{
    // dotnet run -c Release --project benchmarks/SochDb.Policy.ScaleOut.Benchmarks -- --filter '*' --job short --inProcess
    public static void Main(string[] args)
    {
        try
        {
            BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        }
        finally
        {
            Servers.StopAll();
        }
    }
}
