// The C library of the platform, imported in one place: every module of the package imports
// `TroupePlatform` instead of repeating this block. It is not a product: what the package's
// modules import here is not re-exported to their users.
#if canImport(Glibc)
@_exported import Glibc
#elseif canImport(Musl)
@_exported import Musl
#elseif canImport(Darwin)
@_exported import Darwin
#endif
