using Microsoft.Extensions.Options;

namespace SochDb.Policy.Hosting;

/// <summary>Validates <see cref="SochDbPolicyOptions"/> from its data annotations, with code generated at compile time (no reflection).</summary>
[OptionsValidator]
internal sealed partial class SochDbPolicyOptionsValidator : IValidateOptions<SochDbPolicyOptions>
{
}
