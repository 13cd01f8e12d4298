variable "name" {
  description = "Name prefix of every resource."
  type        = string
  default     = "sluice"
}

variable "images" {
  description = "Stage -> image pinned by digest (`make push-images`, then `make tf-images` writes them for envs/aws; copy its images.auto.tfvars.json here). Empty only for the first step, `terraform apply -target=module.registry`."
  type        = map(string)
  default     = {}
}

variable "lake_bucket_name" {
  description = "The lake bucket (globally unique; the lake module checks it against the S3 bucket naming rules)."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets (two zones) for Redshift, OpenSearch and the stages that reach them."
  type        = list(string)
}

variable "warehouse_security_group_ids" {
  description = "Security groups of the warehouse."
  type        = list(string)
}

variable "search_security_group_ids" {
  description = "Security groups of the domain."
  type        = list(string)
}

variable "stage_security_group_ids" {
  description = "Security groups of the stages inside the VPC."
  type        = list(string)
}

variable "search_master_user_arn" {
  description = "IAM role mapped to the OpenSearch admin."
  type        = string
}

variable "cors_allow_origins" {
  description = "Origins of the web players (https://watch.example)."
  type        = list(string)
}

variable "origin_verify_token" {
  description = "A long random value (openssl rand -hex 32) CloudFront adds to its requests; ingest refuses any request without it."
  type        = string
  sensitive   = true
}
