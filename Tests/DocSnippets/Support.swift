// The Swift code of the DocC articles (Sources/*/*.docc), one file per article, named after
// it. `swift build` compiles it; it is not meant to be run. DocSnippetTests checks that every
// ```swift block of every article appears in its file, whitespace, imports and `@main` aside.
//
// Each article's code sits in a caseless enum of its own, so that two articles may both
// declare a `Greeter` or an `App`. Code that an article shows as statements sits in a
// function whose parameters are the values the article assumes (`pool`, `paths`...).
// The one `@main` of this target is `App` in Pools.swift.
