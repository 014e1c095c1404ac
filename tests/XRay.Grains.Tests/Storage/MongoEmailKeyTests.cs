using System.Net.Mail;
using XRay.Grains.Storage.Mongo;

namespace XRay.Grains.Tests.Storage;

/// <summary>The Mongo store's email key must compare as SQLite's <c>COLLATE NOCASE</c> (ASCII letters only).</summary>
public sealed class MongoEmailKeyTests
{
    [Theory]
    [InlineData("Ada@Example.com", "ada@example.com")]
    [InlineData("ADA@EXAMPLE.COM", "ada@example.com")]
    public void Ascii_letters_fold(string x, string y) => Assert.Equal(MongoAccountDocuments.EmailKey(x), MongoAccountDocuments.EmailKey(y));

    [Theory]
    [InlineData("\u212Aate@example.com", "kate@example.com")] // KELVIN SIGN lower-cases to an ASCII 'k'
    [InlineData("\u00C9mile@example.com", "\u00E9mile@example.com")] // NOCASE leaves non-ASCII letters as they are
    public void Emails_sqlite_keeps_apart_stay_apart(string x, string y)
    {
        Assert.True(MailAddress.TryCreate(x, out var address) && address.Address == x); // the gateway's check accepts it
        Assert.NotEqual(MongoAccountDocuments.EmailKey(x), MongoAccountDocuments.EmailKey(y));
    }
}
