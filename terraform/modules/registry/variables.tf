variable "create" {
  description = "Create the repositories; false creates nothing (repository_urls is empty)."
  type        = bool
  default     = true
}

variable "prefix" {
  description = "Repository name prefix: repositories are <prefix>-<stage>."
  type        = string
  default     = "sluice"

  validation {
    # ECR repository names: lowercase components joined by . _ - or / (ECR API Reference).
    condition     = can(regex("^[a-z0-9]+([._/-][a-z0-9]+)*$", var.prefix)) && length(var.prefix) <= 200
    error_message = "prefix must be lowercase a-z 0-9 components joined by . _ - or / (ECR repository names), at most 200 characters."
  }
}

variable "stages" {
  description = "The stages to create repositories for."
  type        = list(string)
  default     = ["ingest", "processor", "indexer", "loader", "monitor"]
}

variable "keep_images" {
  description = "Images kept per repository."
  type        = number
  default     = 30
}

variable "kms_key_arn" {
  description = "Customer-managed key for the repositories (null: the AWS-managed ECR key)."
  type        = string
  default     = null
}

variable "force_delete" {
  description = "Allow destroying repositories that still hold images (test stacks only)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
